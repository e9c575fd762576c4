import type { ColumnType, Generated } from 'kysely';

/** int8 columns: postgres.js is configured to return them as bigint. */
type Int8 = ColumnType<bigint, bigint | string, bigint | string>;
type Timestamp = ColumnType<Date, Date | string | undefined, never>;
/** date columns: postgres.js is configured to return them as 'YYYY-MM-DD'. */
type Day = string;

// The values a text column may hold, where a CHECK or the domain fixes them. They are defined here, below
// the modules that use them, so that the tables and the domain speak of the same union.
export type AccountType = 'asset' | 'liability' | 'net_assets' | 'income' | 'expense';
export type TransactionKind = 'posted' | 'pending' | 'post_pending' | 'void_pending' | 'reversal';
export type EntryPhase = 'posted' | 'reserve' | 'release';
export type RefusalType =
  | 'insufficient_funds'
  | 'transaction_not_found'
  | 'not_pending'
  | 'pending_already_resolved'
  | 'post_exceeds_pending'
  | 'not_reversible'
  | 'already_reversed'
  | 'batch_refused'
  | 'period_closed';
export type LoanState = 'active' | 'overdue' | 'defaulted' | 'repaid';
/** 五级分类. */
export type LoanClassification = 'normal' | 'special_mention' | 'substandard' | 'doubtful' | 'loss';
export type ClaimStatus = 'submitted' | 'approved' | 'deferred' | 'rejected' | 'paid' | 'closed';
export type AwardStatus = 'submitted' | 'approved' | 'rejected' | 'paid';

/** Written by the migration runner (src/db/migrate.ts), read by /readyz. */
export interface SchemaMigrationsTable {
  version: number;
  name: string;
  checksum: string;
  applied_at: Timestamp;
}

export interface LedgerBooksTable {
  pool_id: Int8;
  created_at: Timestamp;
}

export interface AccountsTable {
  pool_id: Int8;
  id: Generated<bigint>;
  code: string;
  name: string;
  type: AccountType;
  currency: string;
  no_negative: boolean;
  created_at: Timestamp;
}

export interface AccountBalancesTable {
  pool_id: Int8;
  account_id: Int8;
  debit_normal: boolean;
  no_negative: boolean;
  posted_debits: Int8;
  posted_credits: Int8;
  pending_debits: Int8;
  pending_credits: Int8;
}

export interface AccountDaysTable {
  pool_id: Int8;
  account_id: Int8;
  day: Day;
  posted_debits: Int8;
  posted_credits: Int8;
  pending_debits: Int8;
  pending_credits: Int8;
}

export interface TransactionsTable {
  pool_id: Int8;
  id: Int8;
  external_id: string;
  kind: TransactionKind;
  effective_date: Day;
  refers_to: Int8 | null;
  description: string;
  metadata: ColumnType<Record<string, unknown>, string, never>;
  tx_xid: ColumnType<string, never, never>;
  created_at: Timestamp;
}

export interface EntriesTable {
  pool_id: Int8;
  id: Generated<bigint>;
  transaction_id: Int8;
  account_id: Int8;
  amount: Int8;
  currency: string;
  effective_date: Day;
  phase: EntryPhase;
}

/** Every external id the engine was asked to post, with its outcome: a posted transaction or a refusal. */
export interface LedgerRequestsTable {
  pool_id: Int8;
  external_id: string;
  request_hash: Buffer;
  transaction_id: Int8 | null;
  refusal_type: RefusalType | null;
  refusal_detail: string | null;
  /** The canonical JSON text the engine hashed: request_hash is the SHA-256 of its bytes (sql/0017). */
  request: string;
  created_at: Timestamp;
}

export interface LedgerChainTable {
  pool_id: Int8;
  seq: Int8;
  transaction_id: Int8;
  hash: Buffer;
  sealed_at: Timestamp;
}

export interface LedgerClosesTable {
  pool_id: Int8;
  through: Day;
  closed_at: Timestamp;
}

export interface LedgerChainHeadsTable {
  pool_id: Int8;
  seq: Int8;
  hash: Buffer;
  last_xid: string;
  last_id: Int8;
}

export type ParticipantKind = 'treasury' | 'bank' | 'insurer' | 'guarantor' | 'enterprise' | 'vc' | 'auditor';
export type ApiRole = 'admin' | 'treasury' | 'bank' | 'insurer' | 'auditor' | 'guarantor' | 'enterprise';

export interface PoolsTable {
  id: Generated<bigint>;
  name: string;
  currency: Generated<string>;
  /** Money decisions are proposed by one person and confirmed by another (0021). */
  four_eyes: Generated<boolean>;
  created_at: Timestamp;
}

export interface ParticipantsTable {
  pool_id: Int8;
  id: Generated<bigint>;
  kind: ParticipantKind;
  name: string;
  credit_code: string | null;
  in_zone: boolean | null;
  tech_sme_certificate: string | null;
  tech_sme_expires: string | null;
  credit_rating: string | null;
  created_at: Timestamp;
}

export interface ApiKeysTable {
  id: Generated<bigint>;
  prefix: string;
  secret_hash: Buffer;
  role: ApiRole;
  pool_id: Int8 | null;
  participant_id: Int8 | null;
  label: Generated<string>;
  created_at: Timestamp;
  revoked_at: ColumnType<Date | null, never, Date | string | null>;
  /** The person the key acts for, for four-eyes: the treasury key that issued it (null: itself). */
  acts_for: ColumnType<bigint | null, bigint | string | null | undefined, never>;
}

export interface IdempotencyKeysTable {
  api_key_id: Int8;
  key: string;
  fingerprint: Buffer;
  lease_token: string | null;
  lease_until: ColumnType<Date | null, Date | string | null, Date | string | null>;
  status: number | null;
  body: string | null;
  created_at: Timestamp;
  finished_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

export interface EventsTable {
  pool_id: Int8;
  id: Generated<bigint>;
  tx_xid: ColumnType<string, never, never>;
  type: string;
  participant_id: Int8 | null;
  subject: string;
  /** An object: passed as one, the driver serialises it (a string would be stored as a JSON string). */
  data: ColumnType<Record<string, unknown>, Record<string, unknown>, never>;
  created_at: Timestamp;
}

export interface AgreementsTable {
  pool_id: Int8;
  id: Generated<bigint>;
  bank_id: Int8;
  insurer_id: Int8 | null;
  name: string;
  created_at: Timestamp;
}

export interface AgreementTermsTable {
  pool_id: Int8;
  agreement_id: Int8;
  version: number;
  effective_from: Day;
  pool_share_bp: number;
  insurer_share_bp: number;
  bank_share_bp: number;
  bonus_bp: ColumnType<Record<string, number>, Record<string, number>, never>;
  public_ceiling_bp: number;
  per_loan_cap: Int8;
  per_enterprise_year_cap: Int8;
  per_bank_year_cap: Int8;
  credit_line: Int8;
  overdue_days: number;
  filing_window_days: number;
  eligible_kinds: string[];
  max_principal: Int8;
  max_term_months: number;
  suspension_loss_bp: number;
  covers_interest: ColumnType<boolean, boolean | undefined, never>;
  step_deadline_days: ColumnType<number, number | undefined, never>;
  created_at: Timestamp;
}

export interface AgreementExposureTable {
  pool_id: Int8;
  agreement_id: Int8;
  used: ColumnType<bigint, bigint | string | undefined, bigint | string>;
}

export interface LoansTable {
  pool_id: Int8;
  id: Generated<bigint>;
  bank_id: Int8;
  agreement_id: Int8;
  reference: string;
  borrower_id: Int8;
  kind: string;
  principal: Int8;
  rate_bp: number;
  disbursed_on: Day;
  matures_on: Day;
  first_loan: boolean;
  policy_number: string | null;
  premium: Int8 | null;
  terms_version: number;
  state: ColumnType<LoanState, LoanState | undefined, LoanState>;
  outstanding: Int8;
  defaulted_month: ColumnType<Day | null, Day | null | undefined, Day | null>;
  defaulted_outstanding: ColumnType<bigint | null, bigint | string | null | undefined, bigint | string | null>;
  created_at: Timestamp;
}

export interface LoanReportsTable {
  pool_id: Int8;
  id: Generated<bigint>;
  loan_id: Int8;
  month: Day;
  outstanding: Int8;
  overdue_principal: Int8;
  overdue_interest: Int8;
  days_past_due: number;
  classification: LoanClassification;
  created_at: Timestamp;
}

export interface AgreementSuspensionsTable {
  pool_id: Int8;
  id: Generated<bigint>;
  agreement_id: Int8;
  suspended: boolean;
  reason: string;
  /** Null when the system suspended the agreement under its loss rule. */
  by_key: Int8 | null;
  created_at: Timestamp;
}

export interface AppropriationsTable {
  pool_id: Int8;
  id: Generated<bigint>;
  reference: string;
  amount: Int8;
  notified_on: Day;
  received_on: ColumnType<Day | null, Day | null | undefined, Day | null>;
  created_at: Timestamp;
}

export interface ClaimsTable {
  pool_id: Int8;
  id: Generated<bigint>;
  loan_id: Int8;
  claimant_id: Int8;
  claimant_kind: 'bank' | 'insurer';
  loss_principal: Int8;
  loss_interest: Int8;
  paid_to_bank: ColumnType<bigint | null, bigint | string | null | undefined, never>;
  documents: ColumnType<{ name: string; sha256: string }[], { name: string; sha256: string }[], never>;
  amount: Int8;
  breakdown: ColumnType<Record<string, unknown>, Record<string, unknown>, Record<string, unknown>>;
  status: ColumnType<ClaimStatus, ClaimStatus | undefined, ClaimStatus>;
  reserve_tx: ColumnType<bigint | null, bigint | string | null | undefined, bigint | string | null>;
  due_by: ColumnType<Day | null, Day | null | undefined, Day | null>;
  loss_year: number;
  created_at: Timestamp;
}

export interface ClaimStepsTable {
  pool_id: Int8;
  id: Generated<bigint>;
  claim_id: Int8;
  status: ClaimStatus;
  reason: string;
  by_key: Int8 | null;
  request_key: string | null;
  created_at: Timestamp;
}

export interface RecoveriesTable {
  pool_id: Int8;
  id: Generated<bigint>;
  loan_id: Int8;
  bank_id: Int8;
  reference: string;
  recovered_on: Day;
  gross: Int8;
  costs: Int8;
  pool_part: Int8;
  insurer_part: Int8;
  bank_part: Int8;
  received_on: ColumnType<Day | null, Day | null | undefined, Day | null>;
  created_at: Timestamp;
}

export interface AwardsTable {
  pool_id: Int8;
  id: Generated<bigint>;
  reference: string;
  programme: string;
  article: number;
  beneficiary_id: Int8;
  item: string;
  year: number;
  basis_amount: Int8;
  rate_bp: number | null;
  subkind: string | null;
  facts: ColumnType<Record<string, unknown>, Record<string, unknown>, never>;
  amount: Int8;
  breakdown: ColumnType<Record<string, unknown>, Record<string, unknown>, Record<string, unknown>>;
  status: ColumnType<AwardStatus, AwardStatus | undefined, AwardStatus>;
  reason: string | null;
  decided_by_key: Int8 | null;
  request_key: string | null;
  created_at: Timestamp;
}

export interface StatementImportsTable {
  pool_id: Int8;
  id: Generated<bigint>;
  sha256: Buffer;
  lines: number;
  new_lines: number;
  by_key: Int8;
  created_at: Timestamp;
}

export interface StatementLinesTable {
  pool_id: Int8;
  id: Generated<bigint>;
  import_id: Int8;
  line_no: number;
  booked_on: Day;
  bank_ref: string;
  amount: Int8;
  counterparty: string;
  balance: Int8;
  memo: string;
  matched_tx: ColumnType<bigint | null, bigint | string | null | undefined, bigint | string | null>;
  created_at: Timestamp;
}

export interface StatementMatchesTable {
  pool_id: Int8;
  id: Generated<bigint>;
  line_id: Int8;
  tx_id: Int8;
  action: 'match' | 'unmatch';
  by_key: Int8 | null;
  reason: string;
  created_at: Timestamp;
}

export interface PeriodClosesTable {
  pool_id: Int8;
  through: Day;
  trial_balance: ColumnType<unknown[], unknown[], never>;
  /** Where the month stood against the bank at its last day; null for closes stored before it was kept. */
  reconciliation: ColumnType<Record<string, unknown> | null, Record<string, unknown> | null, never>;
  unreconciled_reason: ColumnType<string | null, string | null, never>;
  chain_seq: Int8;
  chain_hash: string;
  by_key: Int8;
  created_at: Timestamp;
}

export type ProposalDecision =
  | 'claim.approve'
  | 'claim.pay'
  | 'award.approve'
  | 'award.pay'
  | 'transaction.reverse'
  | 'period.close'
  | 'statement.match'
  | 'statement.book';
export type ProposalStatus = 'pending' | 'confirmed' | 'withdrawn';

export interface ProposalsTable {
  pool_id: Int8;
  id: Generated<bigint>;
  decision: ProposalDecision;
  subject: string;
  body: ColumnType<Record<string, unknown>, Record<string, unknown>, never>;
  reason: string;
  proposed_by: Int8;
  proposer: Int8;
  request_id: Generated<string>;
  status: Generated<ProposalStatus>;
  decided_by: Int8 | null;
  decided_at: Date | null;
  created_at: Timestamp;
}

export interface UsersTable {
  id: Generated<bigint>;
  login: string;
  name: string;
  key_id: Int8;
  password_hash: string | null;
  must_change: Generated<boolean>;
  password_expires_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_by: Int8 | null;
  created_at: Timestamp;
  disabled_at: ColumnType<Date | null, never, Date | string | null>;
}

export interface SessionsTable {
  token_hash: Buffer;
  user_id: Int8;
  created_at: Timestamp;
  last_seen_at: ColumnType<Date, Date | string | undefined, Date | string>;
  expires_at: ColumnType<Date, Date | string, never>;
  ended_at: ColumnType<Date | null, never, Date | string | null>;
  address: Generated<string>;
  user_agent: Generated<string>;
}

export interface LoginAttemptsTable {
  id: Generated<bigint>;
  login: string;
  address: string;
  ok: boolean;
  created_at: Timestamp;
}

export interface AuditLogTable {
  pool_id: Int8;
  id: Generated<bigint>;
  key_id: Int8;
  method: string;
  path: string;
  status: number;
  request_id: string;
  created_at: Timestamp;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  login_attempts: LoginAttemptsTable;
  audit_log: AuditLogTable;
  proposals: ProposalsTable;
  schema_migrations: SchemaMigrationsTable;
  ledger_requests: LedgerRequestsTable;
  ledger_closes: LedgerClosesTable;
  period_closes: PeriodClosesTable;
  statement_imports: StatementImportsTable;
  statement_lines: StatementLinesTable;
  statement_matches: StatementMatchesTable;
  awards: AwardsTable;
  appropriations: AppropriationsTable;
  claims: ClaimsTable;
  claim_steps: ClaimStepsTable;
  recoveries: RecoveriesTable;
  agreement_suspensions: AgreementSuspensionsTable;
  agreement_exposure: AgreementExposureTable;
  loans: LoansTable;
  loan_reports: LoanReportsTable;
  agreements: AgreementsTable;
  agreement_terms: AgreementTermsTable;
  pools: PoolsTable;
  participants: ParticipantsTable;
  api_keys: ApiKeysTable;
  idempotency_keys: IdempotencyKeysTable;
  events: EventsTable;
  ledger_books: LedgerBooksTable;
  accounts: AccountsTable;
  account_balances: AccountBalancesTable;
  account_days: AccountDaysTable;
  transactions: TransactionsTable;
  entries: EntriesTable;
  ledger_chain: LedgerChainTable;
  ledger_chain_heads: LedgerChainHeadsTable;
}
