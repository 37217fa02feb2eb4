"""microshop: a distributed e-commerce platform (auth, products, inventory, web)."""
