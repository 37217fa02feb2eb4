"""What every microshop service needs, and nothing else."""
