-- A one-time password (made for a new account or at a reset) works for a limited time: past it, the person
-- asks for a new one. NULL: the password does not expire (one the person set, or the first admin's, printed
-- at the first start).
ALTER TABLE users ADD COLUMN password_expires_at timestamptz;

-- The application sets it at a reset and clears it when the person chooses their own password.
GRANT UPDATE (password_expires_at) ON users TO pool_app;
