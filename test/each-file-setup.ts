import { afterEach } from 'vitest';
import { removeTempDirs } from './helpers.js';

/**
 * Before each test file, in both projects: the folders a test made with
 * tempDir() go after it. Registered here rather than where helpers.ts is
 * first imported, because a worker runs several files and imports it once.
 */
afterEach(removeTempDirs);
