import { runJournalSuite } from './journal-support.js';

// The whole suite while every journal is sealed in the background each 4 KiB or 200 ms.
runJournalSuite('journal sealed every 4 KiB', { journal: true, journalSealAt: 4096, journalSealAfter: 200 }, 'none');
