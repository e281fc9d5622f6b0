"""Card and SEPA payments, invoices, refunds (BI-1…BI-5)."""
