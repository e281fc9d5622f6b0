requireAccount();
