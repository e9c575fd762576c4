-- Closes of one pool's books run one at a time. The SHARE lock on transactions holds postings off but not
-- another close: two closes through the same day both found it open and both inserted it, and the second
-- failed on the primary key. Now a close first waits for any other close of its pool, then finds the day
-- already closed and answers it, as a repeated close always did.
CREATE OR REPLACE FUNCTION ledger_close_through(p_pool bigint, p_through date) RETURNS date
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  latest date;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('ledger_close:' || p_pool, 0));
  LOCK TABLE public.transactions IN SHARE MODE;
  SELECT max(through) INTO latest FROM public.ledger_closes WHERE pool_id = p_pool;
  IF latest IS NOT NULL AND p_through <= latest THEN
    RETURN latest;
  END IF;
  INSERT INTO public.ledger_closes (pool_id, through) VALUES (p_pool, p_through);
  RETURN p_through;
END
$$;
