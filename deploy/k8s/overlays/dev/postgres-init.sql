-- Runs once, when the database volume is first created (docker-entrypoint-initdb.d), as the
-- POSTGRES_USER role: the specification's SQL then finds every service's tables unqualified.
ALTER ROLE CURRENT_USER SET search_path = products, inventory, auth, public;
