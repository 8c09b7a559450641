/**
 * @module Evidence from the security program (issue 7's other parts), one collector per file:
 * `security-officer.ts` (officerCoverage), `training.ts` (trainingCompliance) and
 * `manufacturer-relations.ts` (manufacturerCoverage). Each also fills a table for the report.
 */
import type { EvidenceKind } from '../controls/control.js';
import type { EvidenceContext, EvidenceItem } from './evidence.js';
import { collectManufacturerRelations } from './manufacturer-relations.js';
import { collectSecurityOfficer } from './security-officer.js';
import { collectTraining } from './training.js';

export interface ProgramTables {
  trainingByDepartment: {
    siteName: string | null;
    department: string | null;
    required: number;
    current: number;
    overdue: number;
    rate: number;
    belowTarget: boolean;
  }[];
  officersBySite: { siteId: string; siteName: string; primary: string | null; deputies: string[] }[];
  /** The organization's officers in term (its primary and deputies); null when not collected. */
  organizationOfficers: { primary: string | null; deputies: string[] } | null;
  manufacturers: {
    name: string;
    activeDevices: number;
    subscribed: boolean;
    lastSyncAt: string | null;
    lastSyncError: string | null;
    psirtContact: boolean;
    modelsWithoutMds2: number;
    modelsWithoutSbom: number;
    openRequests: number;
    overdueRequests: number;
  }[];
}

export const emptyProgramTables = (): ProgramTables => ({
  trainingByDepartment: [],
  officersBySite: [],
  organizationOfficers: null,
  manufacturers: [],
});

export type ProgramCollector = (ctx: EvidenceContext, tables: ProgramTables) => Promise<EvidenceItem>;

export const PROGRAM_COLLECTORS: Partial<Record<EvidenceKind, ProgramCollector>> = {
  'security-officer': collectSecurityOfficer,
  training: collectTraining,
  'manufacturer-relations': collectManufacturerRelations,
};
