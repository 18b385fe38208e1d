/** Calendar features of a timestamp, chosen by the series' frequency. */

export type Frequency = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'none';

const DAY = 86_400_000;

/** The frequency of a date column from the median spacing of its values. */
export function detectFrequency(dates: number[]): Frequency {
  if (dates.length < 2) return 'none';
  const gaps = dates.slice(1).map((d, i) => d - dates[i]).sort((a, b) => a - b);
  const g = gaps[gaps.length >> 1];
  if (Math.abs(g - DAY / 24) < DAY / 96) return 'hourly';
  if (Math.abs(g - DAY) < DAY / 4) return 'daily';
  if (Math.abs(g - 7 * DAY) < DAY) return 'weekly';
  if (g > 27 * DAY && g < 32 * DAY) return 'monthly';
  return 'none';
}

/** The usual season length of a frequency (7 days a week, 12 months a year, 24 hours a day). */
export function seasonOf(f: Frequency): number {
  return { hourly: 24, daily: 7, weekly: 52, monthly: 12, none: 1 }[f];
}

/** The timestamp `steps` periods after `ms`. */
export function advance(ms: number, f: Frequency, steps: number): number {
  if (f === 'monthly') {
    const d = new Date(ms);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + steps, d.getUTCDate());
  }
  const step = { hourly: DAY / 24, daily: DAY, weekly: 7 * DAY, none: 0 }[f];
  return ms + steps * step;
}

/** Number of calendar features for a frequency. */
export function calendarSize(f: Frequency): number {
  return calendarFeatures(0, f).length;
}

/**
 * hourly: hour of day and day of week (one-hot); daily: day of week and
 * month (one-hot), day of month and day of year (scaled, cyclic); weekly:
 * week of year (cyclic) and month (one-hot); monthly: month (one-hot).
 */
export function calendarFeatures(ms: number, f: Frequency): number[] {
  const d = new Date(ms);
  const oneHot = (i: number, n: number) => Array.from({ length: n }, (_, k) => (k === i ? 1 : 0));
  const dayOfYear = Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / DAY);
  const cyc = (v: number, n: number) => [Math.sin((2 * Math.PI * v) / n), Math.cos((2 * Math.PI * v) / n)];
  switch (f) {
    case 'hourly':
      return [...oneHot(d.getUTCHours(), 24), ...oneHot(d.getUTCDay(), 7)];
    case 'daily':
      return [...oneHot(d.getUTCDay(), 7), ...oneHot(d.getUTCMonth(), 12), d.getUTCDate() / 31, ...cyc(dayOfYear, 365.25)];
    case 'weekly':
      return [...cyc(dayOfYear / 7, 52.18), ...oneHot(d.getUTCMonth(), 12)];
    case 'monthly':
      return oneHot(d.getUTCMonth(), 12);
    case 'none':
      return [];
  }
}
