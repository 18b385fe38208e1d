/** Calendar features of a timestamp, chosen by the series' frequency. */

/** How often a series is observed; `5min`, `15min`, … for sub-hourly data. */
export type Frequency = 'yearly' | 'quarterly' | 'monthly' | 'weekly' | 'daily' | 'hourly' | `${number}min` | 'none';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Minutes a sub-hourly frequency steps by, or 0 for the others. */
function minutesOf(f: Frequency): number {
  const m = /^(\d+)min$/.exec(f);
  return m ? Number(m[1]) : 0;
}

/**
 * The frequency of a date column: the most common spacing of its values
 * (so a few missing dates do not change it), months counted as 28–31 days.
 */
export function detectFrequency(dates: number[]): Frequency {
  const counts = new Map<Frequency, number>();
  for (let i = 1; i < dates.length; i++) {
    const f = frequencyOfGap(dates[i] - dates[i - 1]);
    counts.set(f, (counts.get(f) ?? 0) + 1);
  }
  let best: Frequency = 'none',
    n = 0;
  for (const [f, c] of counts) if (c > n) [best, n] = [f, c];
  return best;
}

function frequencyOfGap(g: number): Frequency {
  if (g >= 365 * DAY && g <= 366 * DAY) return 'yearly';
  if (g >= 89 * DAY && g <= 92 * DAY) return 'quarterly';
  if (g >= 28 * DAY && g <= 31 * DAY) return 'monthly';
  if (g === 7 * DAY) return 'weekly';
  if (g === DAY) return 'daily';
  if (g === HOUR) return 'hourly';
  if (g > 0 && g < HOUR && g % MINUTE === 0 && 60 % (g / MINUTE) === 0) return `${g / MINUTE}min`;
  return 'none';
}

/** The usual season length of a frequency: a year of quarters or months or weeks, a week of days, a day of hours or minutes. */
export function seasonOf(f: Frequency): number {
  const minutes = minutesOf(f);
  if (minutes) return (24 * 60) / minutes;
  return ({ yearly: 1, quarterly: 4, monthly: 12, weekly: 52, daily: 7, hourly: 24, none: 1 } as Record<string, number>)[f];
}

/** The timestamp `steps` periods after `ms`. Months keep their day, month ends stay month ends. */
export function advance(ms: number, f: Frequency, steps: number): number {
  if (f === 'monthly' || f === 'quarterly' || f === 'yearly') {
    const months = steps * (f === 'monthly' ? 1 : f === 'quarterly' ? 3 : 12);
    const d = new Date(ms);
    const y = d.getUTCFullYear(),
      m = d.getUTCMonth() + months,
      day = d.getUTCDate();
    const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    const monthEnd = day === daysIn(y, d.getUTCMonth());
    const target = monthEnd ? daysIn(y, m) : Math.min(day, daysIn(y, m));
    return Date.UTC(y, m, target, d.getUTCHours(), d.getUTCMinutes());
  }
  const step = minutesOf(f) * MINUTE || ({ weekly: 7 * DAY, daily: DAY, hourly: HOUR, none: 0 } as Record<string, number>)[f];
  return ms + steps * step;
}

/** Number of calendar features for a frequency. */
export function calendarSize(f: Frequency): number {
  return calendarFeatures(0, f).length;
}

/**
 * Sub-hourly: time of day (cyclic), hour of day and day of week (one-hot);
 * hourly: hour of day and day of week (one-hot); daily: day of week and
 * month (one-hot), day of month and day of year (scaled, cyclic); weekly:
 * week of year (cyclic) and month (one-hot); monthly: month (one-hot);
 * quarterly: quarter (one-hot); yearly: none.
 */
export function calendarFeatures(ms: number, f: Frequency): number[] {
  const d = new Date(ms);
  const oneHot = (i: number, n: number) => Array.from({ length: n }, (_, k) => (k === i ? 1 : 0));
  const dayOfYear = Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / DAY);
  const cyc = (v: number, n: number) => [Math.sin((2 * Math.PI * v) / n), Math.cos((2 * Math.PI * v) / n)];
  if (minutesOf(f)) return [...cyc(d.getUTCHours() * 60 + d.getUTCMinutes(), 1440), ...oneHot(d.getUTCHours(), 24), ...oneHot(d.getUTCDay(), 7)];
  switch (f) {
    case 'hourly':
      return [...oneHot(d.getUTCHours(), 24), ...oneHot(d.getUTCDay(), 7)];
    case 'daily':
      return [...oneHot(d.getUTCDay(), 7), ...oneHot(d.getUTCMonth(), 12), d.getUTCDate() / 31, ...cyc(dayOfYear, 365.25)];
    case 'weekly':
      return [...cyc(dayOfYear / 7, 52.18), ...oneHot(d.getUTCMonth(), 12)];
    case 'monthly':
      return oneHot(d.getUTCMonth(), 12);
    case 'quarterly':
      return oneHot(Math.floor(d.getUTCMonth() / 3), 4);
    default:
      return [];
  }
}
