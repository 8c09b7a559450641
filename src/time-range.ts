/**
 * @module The times Vigil accepts from its sources. A packet, log line or scan dated after the year 9999
 * (or before 1970) is damaged input, not a time: ISO-8601 text past 9999 needs a signed six-digit year
 * (`+011160-07-26T…`) that neither the store, the API schemas nor a report reader expects, and past
 * ±8.64e15 ms JavaScript has no date at all. Each source reports such a value as an input issue.
 */

/** 9999-12-31T23:59:59Z, the last second with a four-digit year. */
export const LAST_EPOCH_SECOND = 253_402_300_799;

/** Whether seconds since 1970 (fraction allowed) make a time Vigil can print and store. */
export const isStorableEpochSeconds = (s: number): boolean => s >= 0 && s < LAST_EPOCH_SECOND + 1;
