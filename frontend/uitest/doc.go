// Package uitest holds Parley's end-to-end browser tests: a real parley
// binary (built once per run, started with --demo on a temp data dir and a
// free port) driven by headless Chromium through chromedp.
//
// Chromium comes from PARLEY_TEST_CHROMIUM (default /usr/bin/chromium); the
// tests fail when it is missing. On failure each browser's screenshot and
// console log are written to PARLEY_TEST_ARTIFACTS (default
// test-artifacts/ in the repository) under uitest/.
package uitest
