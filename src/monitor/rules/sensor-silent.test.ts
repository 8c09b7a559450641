/** The pure sensor rules: silence past the threshold, and spool drops said once per new drop. */
import { describe, expect, it } from 'vitest';
import { SENSOR_SILENT_RULE, sensorsSilent, spoolOverflow } from './sensor-silent.js';

const now = new Date('2026-06-01T12:00:00.000Z');
const sensor = (lastSeen: string) => ({ id: 'north/tap1', site: 'north', siteId: 'site-1', lastSeen });

describe('sensor rules', () => {
  it('raises sensor-silent only past the threshold', () => {
    expect(sensorsSilent([sensor('2026-06-01T11:55:00.000Z')], now)).toEqual([]);
    const [c] = sensorsSilent([sensor('2026-06-01T11:45:00.000Z')], now);
    expect(c).toMatchObject({
      rule: SENSOR_SILENT_RULE,
      severity: 'high',
      siteId: 'site-1',
      subject: 'sensor:north/tap1',
      details: { silentSeconds: 900, thresholdSeconds: 600 },
    });
    expect(c!.title).toBe('Sensor north/tap1 silent for 15 minutes (expected within 10)');
    // One minute reads "1 minute", not "1 minutes".
    const [one] = sensorsSilent([sensor('2026-06-01T11:59:00.000Z')], now, 30);
    expect(one!.title).toBe('Sensor north/tap1 silent for 1 minute (expected within 1)');
    expect(sensorsSilent([sensor('2026-06-01T11:58:00.000Z')], now, 60)).toHaveLength(1);
  });

  it('raises sensor-spool-overflow for new drops only, high when hosts or findings were lost', () => {
    const s = sensor(now.toISOString());
    expect(spoolOverflow(s, { low: 5, high: 0 }, { low: 5, high: 0 }, now.toISOString())).toEqual([]);
    expect(spoolOverflow(s, { low: 5, high: 0 }, { low: 9, high: 0 }, now.toISOString())[0]).toMatchObject({
      severity: 'medium',
      details: { droppedLow: 4, droppedHigh: 0 },
    });
    expect(spoolOverflow(s, { low: 0, high: 0 }, { low: 0, high: 2 }, now.toISOString())[0]?.severity).toBe(
      'high',
    );
  });
});
