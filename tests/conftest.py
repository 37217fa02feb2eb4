pytest_plugins = ["microshop.common.testing"]
