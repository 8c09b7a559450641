/**
 * @module SSVC (Stakeholder-Specific Vulnerability Categorization) for the risk view: the CISA
 * Coordinator decision table and the CERT/CC Deployer Patch Application Priority table, loaded from the
 * official CERT/CC SSVC JSON tables as data and evaluated by one generic function, plus CISA's compact
 * vector notation.
 * @see https://certcc.github.io/SSVC/
 * @see https://www.cisa.gov/ssvc
 */
export * from './decide.js';
export * from './model.js';
export * from './vector.js';
