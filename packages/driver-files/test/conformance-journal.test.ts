import { runJournalSuite } from './journal-support.js';

// The whole suite with new objects appended to journals, sealed only when due (the default size
// and age), with fsync. conformance-journal-sealing.test.ts runs it with seals all the time.
runJournalSuite('journal', { journal: true }, 'fsync');
