/** The programme's calendar: days as YYYY-MM-DD, in China (UTC+8), working days Monday to Friday. */

/** The working day `days` working days after `day` (Saturdays and Sundays are not working days). */
export function addWorkingDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  let left = days;
  while (left > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    const weekday = d.getUTCDay();
    if (weekday !== 0 && weekday !== 6) left--;
  }
  return d.toISOString().slice(0, 10);
}

/** Today in China (UTC+8), the calendar the programme's deadlines and filing windows run on. */
export function todayInChina(now = new Date()): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

/** A day plus calendar days. */
export function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** A day plus (or minus) whole years; 29 February falls on 1 March in a common year. */
export function addYears(day: string, years: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.toISOString().slice(0, 10);
}

/** The last day of the month a day (or a month, YYYY-MM) is in. */
export function lastDayOfMonth(dayOrMonth: string): string {
  const [y, m] = dayOrMonth.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

/** Calendar days from one day to another (negative when `to` comes first). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
