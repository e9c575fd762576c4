import { addYears, todayInChina } from './days.js';
import { DomainError } from './errors.js';

/**
 * The dates the API takes for business events, around the programme's one "today" (China time, days.ts).
 * An event is recorded once it has happened, so a date after today is a typing mistake or a dodge, never a
 * fact: a default reported in a month to come counted against a year whose caps were still untouched. A
 * date more than LOOKBACK_YEARS back is a typing mistake too (1900 for 2026): the programme's records are
 * entered while its loans run, and a term is at most a few years. The ledger's closed periods bound the
 * dates of postings further (period_closed).
 */
export const LOOKBACK_YEARS = 10;

export interface DateWindow {
  earliest: string;
  latest: string;
}

/** Said in the OpenAPI descriptions of the fields these rules govern. */
export const EVENT_DATE_RULE = `No later than today in China (UTC+8) and at most ${LOOKBACK_YEARS} years back; else 422 date-out-of-window (rule event_date).`;
export const REVERSAL_DATE_RULE =
  'On or after the date of the transaction reversed and no later than today in China (UTC+8); else 422 date-out-of-window (rule reversal_date).';
export const REPORT_MONTH_RULE =
  'From the month the loan was disbursed through the current month in China (UTC+8); else 422 date-out-of-window (rule report_month).';

/** The window of a business event's date: LOOKBACK_YEARS back through today. */
export function eventWindow(today: string): DateWindow {
  return { earliest: addYears(today, -LOOKBACK_YEARS), latest: today };
}

/** The refusal of a date outside its window: a stable type naming the field, the rule and the window. */
export function outsideWindow(field: string, rule: string, day: string, window: DateWindow, why: string): DomainError {
  return new DomainError(
    'invalid',
    'date-out-of-window',
    `${field} ${day} is outside ${window.earliest} to ${window.latest}: ${why}`,
    {
      field,
      rule,
      earliest: window.earliest,
      latest: window.latest,
    },
  );
}

/** Why a day falls outside a window, or null when it falls inside. */
export function eventDayRefusal(field: string, day: string, today: string): DomainError | null {
  const window = eventWindow(today);
  if (day >= window.earliest && day <= window.latest) return null;
  return outsideWindow(
    field,
    'event_date',
    day,
    window,
    `an event is recorded once it has happened, on or before today, and at most ${LOOKBACK_YEARS} years back`,
  );
}

/** Refuses a business event's date outside the event window. */
export function checkEventDay(field: string, day: string, today = todayInChina()): void {
  const refusal = eventDayRefusal(field, day, today);
  if (refusal) throw refusal;
}

/** Refuses a reversal dated before the transaction it reverses, after today, or beyond the event window. */
export function checkReversalDay(field: string, day: string, reversedOn: string, today = todayInChina()): void {
  const events = eventWindow(today);
  const window = { earliest: reversedOn > events.earliest ? reversedOn : events.earliest, latest: today };
  if (day >= window.earliest && day <= window.latest) return;
  throw outsideWindow(
    field,
    'reversal_date',
    day,
    window,
    `a reversal is dated on or after what it reverses (${reversedOn}) and on or before today`,
  );
}
