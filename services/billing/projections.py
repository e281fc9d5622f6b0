"""Read models of billing (payments and invoices lists come with BI-3's pages)."""
