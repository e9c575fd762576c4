import { yuanOf } from '../../pool/money.js';
import { readYuan } from '../../pool/file-values.js';

/**
 * How the console writes figures for people: yuan with thousands separators from fen (bigint arithmetic,
 * never a float), dates and times in China time, and the words of its two languages.
 */

/** Fen (a string of digits, or Money's amount) as yuan: 123456789 → "1,234,567.89". */
export function yuan(fen: string | bigint | { amount: string } | null | undefined): string {
  if (fen === null || fen === undefined) return '—';
  return yuanOf(typeof fen === 'object' ? BigInt(fen.amount) : BigInt(fen));
}

/**
 * Yuan as a person types it ("1,234.5", "１２３４.５６", "¥1234") to fen digits; null if it is not a
 * non-negative amount, or would need rounding. The reading is the files' (readYuan), never through a float.
 */
export function fenOfYuan(input: string): string | null {
  const read = readYuan(input);
  return 'fen' in read && read.fen >= 0n ? read.fen.toString() : null;
}

const CHINA = 'Asia/Shanghai';
/** An instant in China time: 2026-12-04 10:38. */
export function chinaTime(iso: string | Date | null | undefined): string {
  if (!iso) return '—';
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: CHINA,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

export type Lang = 'zh' | 'en';

const WORDS = {
  product: ['政银保风险补偿资金池', 'Risk-compensation pool'],
  signIn: ['登录', 'Sign in'],
  signOut: ['退出', 'Sign out'],
  login: ['账号', 'Login'],
  password: ['密码', 'Password'],
  currentPassword: ['当前密码', 'Current password'],
  newPassword: ['新密码（至少 12 个字符）', 'New password (12 characters or more)'],
  setPassword: ['设置密码', 'Set password'],
  mustChange: ['请先设置您自己的密码。', 'Set a password of your own first.'],
  inbox: ['工作台', 'Inbox'],
  claims: ['理赔', 'Claims'],
  claim: ['理赔申请', 'Claim'],
  loans: ['贷款', 'Loans'],
  loan: ['贷款', 'Loan'],
  upload: ['上传台账', 'Upload a tape'],
  journal: ['账务', 'Journal'],
  audit: ['审计日志', 'Audit log'],
  people: ['人员', 'People'],
  participants: ['参与机构', 'Participants'],
  keys: ['API 密钥', 'API keys'],
  awards: ['奖补', 'Awards'],
  appropriations: ['财政拨款', 'Appropriations'],
  agreements: ['合作协议', 'Agreements'],
  reconciliation: ['对账月结', 'Reconciliation'],
  reports: ['报表', 'Reports'],
  proposals: ['待复核的决定', 'Decisions waiting for a second person'],
  toReview: ['待初审', 'To review'],
  toPay: ['待支付', 'To pay'],
  overdue: ['已超期', 'Past deadline'],
  none: ['暂无', 'None'],
  status: ['状态', 'Status'],
  amount: ['金额（元）', 'Amount (CNY)'],
  reason: ['理由', 'Reason'],
  at: ['时间', 'Time'],
  by: ['经办', 'By'],
  reference: ['编号', 'Reference'],
  principal: ['本金（元）', 'Principal (CNY)'],
  outstanding: ['余额（元）', 'Outstanding (CNY)'],
  state: ['状态', 'State'],
  all: ['全部', 'All'],
  search: ['查询', 'Search'],
  dueBy: ['办理期限', 'Due by'],
  breakdown: ['补偿额计算（各项上限）', 'How the amount was reached (caps)'],
  limit: ['上限（元）', 'Limit (CNY)'],
  capped: ['封顶', 'capped'],
  steps: ['办理记录', 'Steps'],
  approve: ['审批通过', 'Approve'],
  review: ['初审通过', 'Review: propose approval'],
  defer: ['缓办', 'Defer'],
  reject: ['拒绝', 'Reject'],
  pay: ['支付', 'Pay'],
  proposePay: ['提请支付', 'Propose payment'],
  confirm: ['复核确认', 'Confirm'],
  proposedBy: ['提议人', 'Proposed by'],
  fileClaim: ['申请代偿', 'File a claim'],
  lossPrincipal: ['本金损失（元）', 'Principal lost (CNY)'],
  documents: ['材料（文件名，每行一个）', 'Documents (one file name a line)'],
  file: ['台账文件（CSV）', 'Tape file (CSV)'],
  send: ['提交', 'Send'],
  refusedRows: ['未通过校验的行', 'Rows refused'],
  line: ['行号', 'Line'],
  field: ['字段', 'Field'],
  rule: ['规则', 'Rule'],
  message: ['说明', 'Message'],
  accepted: ['已入库', 'Accepted'],
  monthlyReports: ['月度报告', 'Monthly reports'],
  month: ['月份', 'Month'],
  transactions: ['记账凭证', 'Transactions'],
  trialBalance: ['试算平衡表', 'Trial balance'],
  account: ['科目', 'Account'],
  debit: ['借方（元）', 'Debit (CNY)'],
  credit: ['贷方（元）', 'Credit (CNY)'],
  verify: ['校验哈希链', 'Verify the hash chain'],
  chainOk: ['哈希链完整', 'The chain is intact'],
  chainBroken: ['哈希链断裂', 'The chain is broken'],
  position: ['资金池头寸', 'Position of the pool'],
  name: ['姓名', 'Name'],
  role: ['角色', 'Role'],
  participant: ['所属机构', 'Participant'],
  create: ['创建', 'Create'],
  oneTimePassword: ['一次性密码（仅显示一次）', 'One-time password (shown once)'],
  method: ['操作', 'Action'],
  path: ['对象', 'Path'],
  requestId: ['请求编号', 'Request id'],
  who: ['人员', 'Who'],
  proposed: ['已提议，待另一位财政人员复核确认。', 'Proposed: another person of the treasury confirms it.'],
  fourEyes: [
    '这是您本人提议的决定，须由另一位财政人员复核确认。',
    'You proposed this decision: another person of the treasury confirms it.',
  ],
  done: ['已办理。', 'Done.'],
  error: ['未能办理', 'Not done'],
  language: ['English', '中文'],
} as const satisfies Record<string, readonly [string, string]>;

export type Word = keyof typeof WORDS;
export const say = (lang: Lang, word: Word): string => WORDS[word][lang === 'zh' ? 0 : 1];

const STATUS: Record<string, [string, string]> = {
  submitted: ['已提交', 'submitted'],
  approved: ['已审批', 'approved'],
  deferred: ['缓办', 'deferred'],
  rejected: ['已拒绝', 'rejected'],
  paid: ['已支付', 'paid'],
  closed: ['已结案', 'closed'],
  pending: ['待复核', 'pending'],
  confirmed: ['已确认', 'confirmed'],
  withdrawn: ['已撤回', 'withdrawn'],
  active: ['正常', 'active'],
  overdue: ['逾期', 'overdue'],
  defaulted: ['已违约', 'defaulted'],
  repaid: ['已结清', 'repaid'],
};
/** The words of the page's language, for text said once. */
export const zhOr = (lang: Lang, chinese: string, english: string): string => (lang === 'zh' ? chinese : english);

/** A status as people read it, in the page's language. */
export const statusWord = (lang: Lang, status: string): string => STATUS[status]?.[lang === 'zh' ? 0 : 1] ?? status;

const KINDS: Record<string, [string, string]> = {
  treasury: ['财政', 'treasury'],
  bank: ['银行', 'bank'],
  insurer: ['保险公司', 'insurer'],
  guarantor: ['担保机构', 'guarantee institution'],
  enterprise: ['企业', 'enterprise'],
  vc: ['创投机构', 'venture capital'],
  auditor: ['审计', 'auditor'],
  admin: ['系统管理员', 'admin'],
};
/** A participant's kind, or a role, as people name it. */
export const kindWord = (lang: Lang, kind: string): string => KINDS[kind]?.[lang === 'zh' ? 0 : 1] ?? kind;

const LOAN_KINDS: Record<string, [string, string]> = {
  credit: ['信用贷款', 'credit'],
  ip_pledge: ['知识产权质押', 'IP pledge'],
  equity_pledge: ['股权质押', 'equity pledge'],
  receivables_pledge: ['应收账款质押', 'receivables pledge'],
  warehouse_receipt_pledge: ['仓单质押', 'warehouse receipt pledge'],
  performance_bond_insured: ['履约保证保险', 'performance-bond insured'],
  first_loan: ['首贷', 'first loan'],
};
/** A kind of loan (or the first-loan bonus), as the programme's text names it. */
export const loanKindWord = (lang: Lang, kind: string): string => LOAN_KINDS[kind]?.[lang === 'zh' ? 0 : 1] ?? kind;

/** Basis points as a percentage, exactly: 2500 → "25", 125 → "1.25". */
export function percentOfBp(bp: number): string {
  const whole = Math.trunc(bp / 100);
  const rest = bp % 100;
  return rest === 0 ? String(whole) : `${whole}.${String(rest).padStart(2, '0').replace(/0$/, '')}`;
}

/** A percentage as a person types it ("25", "1.25", "２５％") to basis points; null if it is not one. */
export function bpOfPercent(input: string): number | null {
  const fen = fenOfYuan(input.normalize('NFKC').replace(/%$/, ''));
  return fen === null || BigInt(fen) > 10_000n ? null : Number(fen);
}
