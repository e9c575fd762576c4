/**
 * The SQLSTATE codes the code reads, each named once: PostgreSQL's by the condition names of its manual
 * (Appendix A, the names PL/pgSQL's `USING ERRCODE` takes), and the ones this schema's functions raise
 * (class PL). A code is compared only through these names, so a typo fails to compile.
 */
export const SQLSTATE = {
  connection_exception: '08000',
  sqlclient_unable_to_establish_sqlconnection: '08001',
  connection_does_not_exist: '08003',
  connection_failure: '08006',
  numeric_value_out_of_range: '22003',
  unique_violation: '23505',
  in_failed_sql_transaction: '25P02',
  invalid_password: '28P01',
  serialization_failure: '40001',
  deadlock_detected: '40P01',
  too_many_connections: '53300',
  admin_shutdown: '57P01',
  crash_shutdown: '57P02',
  cannot_connect_now: '57P03',
  /** An Idempotency-Key's lease was taken over by another attempt: this attempt may not record its answer. */
  lease_lost: 'PLK01',
  /**
   * A step's record is no longer in a status the step starts from (another request took it first): the
   * posting it travels with is not committed either.
   */
  step_taken: 'PLC01',
} as const;

export type SqlState = (typeof SQLSTATE)[keyof typeof SQLSTATE];
