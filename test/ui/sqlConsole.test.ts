/**
 * The SQL console in a real headless Chromium against the real server filled by `npm run demo`: the
 * schema comes from DESCRIBE, a query typed and run with Ctrl+Enter shows the API's columns and rows,
 * errors (DuckDB's and the read-only guard's) show inline and the console goes on working, and the
 * query in the URL comes back, and runs, when the link is opened.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { SQL_EXAMPLES } from '../../ui/src/lib/sqlExamples.js';
import { openBrowser, runDemo, screenshot, startUiServer, stopUiServer, watchPageErrors } from '../helpers/browser.js';
import type { ServerHandle } from '../helpers/server.js';

const ROW_CAP = 50;
const SPANS_PER_SERVICE = 'SELECT service_name, count(*) AS spans FROM spans GROUP BY ALL ORDER BY service_name';

let server: ServerHandle | undefined;

before(async () => {
  server = await startUiServer({ DUCKTRACE_SQL_MAX_ROWS: String(ROW_CAP) });
  await runDemo(server, 60);
});

after(() => stopUiServer(server));

interface SqlAnswer {
  columns: Array<{ name: string; type: string }>;
  rows: unknown[][];
}

async function postSql(sql: string): Promise<{ status: number; body: SqlAnswer }> {
  const response = await fetch(`${server!.queryUrl}/api/v1/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql }) });
  return { status: response.status, body: (await response.json()) as SqlAnswer };
}

async function resultTable(page: Page): Promise<{ headers: string[][]; rows: string[][] }> {
  return page.$eval('table.sql-result', (table) => ({
    headers: [...table.querySelectorAll('thead th')].map((th) => [th.querySelector('.sql-column-name')!.textContent!, th.querySelector('.sql-column-type')!.textContent!]),
    rows: [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!)),
  }));
}

/** Replaces the editor's text as a user would: select all, type. */
async function typeQuery(page: Page, sql: string): Promise<void> {
  const editor = page.getByRole('textbox', { name: 'SQL query' });
  await editor.focus();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(sql);
}

test('a query typed and run with Ctrl+Enter shows the API’s rows; errors show inline; the URL restores the query', async (t) => {
  const browser = await openBrowser(t);
  if (browser === null) return;
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = watchPageErrors(page);
  await page.goto(`${server!.queryUrl}/sql`);

  // The schema beside the editor, from DESCRIBE.
  const spansTable = page.locator('.sql-schema-table[data-table="spans"]');
  await spansTable.waitFor();
  assert.deepEqual(
    await page.$$eval('.sql-schema-table', (sections) => sections.map((s) => s.getAttribute('data-table'))),
    ['spans', 'span_attributes', 'span_resource_attributes'],
  );
  const described = await postSql('DESCRIBE spans');
  const schemaRows = await spansTable.locator('li').evaluateAll((items) => items.map((li) => [li.querySelector('button')!.textContent, li.querySelector('.sql-schema-type')!.textContent]));
  assert.deepEqual(
    schemaRows,
    described.body.rows.map((row) => [row[0], row[1]]),
  );

  // Typed and run with Ctrl+Enter: the API's columns, types and rows.
  await typeQuery(page, SPANS_PER_SERVICE);
  await page.keyboard.press('Control+Enter');
  await page.locator('table.sql-result').waitFor();
  const expected = await postSql(SPANS_PER_SERVICE);
  assert.equal(expected.status, 200);
  assert.deepEqual(expected.body.rows.map((row) => row[0]), ['cart', 'checkout', 'frontend', 'inventory', 'payment']);
  const shown = await resultTable(page);
  assert.deepEqual(shown.headers, [
    ['service_name', 'VARCHAR'],
    ['spans', 'BIGINT'],
  ]);
  assert.deepEqual(
    shown.rows,
    expected.body.rows.map((row) => row.map(String)),
  );
  assert.match(await page.locator('.sql-status').innerText(), /^5 rows in \d[\d,]* ms$/);
  assert.equal(new URL(page.url()).searchParams.get('q'), SPANS_PER_SERVICE);
  await screenshot(page, 'sql-console');

  // Tab indents, and a column clicked in the schema goes in at the cursor.
  await typeQuery(page, 'SELECT');
  await page.keyboard.press('Tab');
  await spansTable.getByRole('button', { name: 'service_name', exact: true }).click();
  await page.keyboard.insertText(' FROM spans LIMIT 1');
  assert.equal(await page.getByRole('textbox', { name: 'SQL query' }).inputValue(), 'SELECT  service_name FROM spans LIMIT 1');
  // Escape, then Tab, leaves the editor for the Run button.
  await page.keyboard.press('Escape');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Run');

  // A syntax error and the read-only refusal, each with the server's message, inline.
  const alert = page.locator('.sql-error[role="alert"]');
  await typeQuery(page, 'SELEC service_name FROM spans');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await alert.waitFor();
  assert.match(await alert.innerText(), /\(400 invalid_argument\)[\s\S]*Parser Error: syntax error at or near "SELEC"/);
  await screenshot(page, 'sql-console-error');
  await typeQuery(page, 'DELETE FROM spans');
  await page.keyboard.press('Control+Enter');
  await page.getByText('only a read-only query may run here').waitFor();
  assert.match(await alert.innerText(), /statement type DELETE/);

  // The console still works, and shows NULL apart from text and long values cut with the whole on hover.
  const long = 'y'.repeat(200);
  await typeQuery(page, `SELECT NULL AS nothing, 'NULL' AS word, repeat('y', 200) AS long, 42 AS n`);
  await page.keyboard.press('Control+Enter');
  await page.locator('table.sql-result').waitFor();
  assert.equal(await alert.count(), 0);
  const cells = page.locator('table.sql-result tbody td');
  const kinds = await cells.evaluateAll((tds) => tds.map((td) => [...td.classList].find((name) => name.startsWith('sql-cell-'))));
  assert.deepEqual(kinds, ['sql-cell-null', 'sql-cell-text', 'sql-cell-text', 'sql-cell-number']);
  assert.equal(await cells.nth(0).innerText(), 'NULL');
  assert.equal(await cells.nth(2).getAttribute('title'), long);
  assert.ok((await cells.nth(2).innerText()).endsWith('…'));

  // More rows than the server's cap: a notice says the result is truncated.
  await typeQuery(page, 'SELECT * FROM range(1000)');
  await page.keyboard.press('Control+Enter');
  await page.locator('.sql-truncated').waitFor();
  assert.match(await page.locator('.sql-truncated').innerText(), new RegExp(`first ${ROW_CAP} rows`));
  assert.equal(await page.locator('table.sql-result tbody tr').count(), ROW_CAP);

  // Back to an earlier query: the editor and the results follow the URL.
  await page.goBack();
  await page.goBack();
  await page.goBack();
  await page.goBack();
  await page.waitForURL((url) => url.searchParams.get('q') === SPANS_PER_SERVICE);
  await page.waitForFunction((sql) => document.querySelector<HTMLTextAreaElement>('textarea.sql-editor')?.value === sql, SPANS_PER_SERVICE);
  await page.locator('table.sql-result th[data-type="VARCHAR"]').waitFor();
  assert.deepEqual((await resultTable(page)).rows, expected.body.rows.map((row) => row.map(String)));
  // An example picked from the list goes into the editor, into the URL, and runs.
  const example = SQL_EXAMPLES.find((e) => e.title.startsWith('Which hosts'))!;
  await page.getByRole('combobox', { name: 'Example queries' }).selectOption({ label: example.title });
  await page.waitForURL((url) => url.searchParams.get('q') === example.sql);
  await page.locator('table.sql-result th[data-type="VARCHAR"] >> text=host').waitFor();
  assert.equal(await page.getByRole('textbox', { name: 'SQL query' }).inputValue(), example.sql);
  assert.equal(await page.locator('table.sql-result tbody tr').count(), 5);
  assert.deepEqual(errors, []);
  await page.close();

  // A shared link: opened in a fresh page (dark theme), it restores the query and runs it.
  const shared = await browser.newPage({ colorScheme: 'dark', viewport: { width: 1280, height: 800 } });
  await shared.goto(`${server!.queryUrl}/sql?q=${encodeURIComponent(SPANS_PER_SERVICE)}`);
  await shared.locator('table.sql-result').waitFor();
  assert.equal(await shared.getByRole('textbox', { name: 'SQL query' }).inputValue(), SPANS_PER_SERVICE);
  assert.deepEqual((await resultTable(shared)).rows, expected.body.rows.map((row) => row.map(String)));
  await screenshot(shared, 'sql-console-dark');
  await shared.close();
});

test('every example query runs', async () => {
  for (const example of SQL_EXAMPLES) {
    const answer = await postSql(example.sql);
    assert.equal(answer.status, 200, `${example.title}: ${JSON.stringify(answer.body)}`);
  }
});

test('trace and span ids in results open the trace; the result downloads as CSV', async (t) => {
  const browser = await openBrowser(t);
  if (browser === null) return;
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const errors = watchPageErrors(page);
  const sql = "SELECT trace_id, span_id, parent_span_id, name FROM spans WHERE parent_span_id <> '' ORDER BY start_time, span_id LIMIT 3";
  const expected = await postSql(sql);
  assert.equal(expected.status, 200);
  await page.goto(`${server!.queryUrl}/sql?q=${encodeURIComponent(sql)}`);
  await page.locator('table.sql-result').waitFor();
  const hrefs = await page.locator('table.sql-result tbody tr').evaluateAll((rows) =>
    rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.querySelector('a')?.getAttribute('href') ?? null)),
  );
  assert.deepEqual(
    hrefs,
    expected.body.rows.map(([traceId, spanId, parentId]) => [`/trace/${traceId}`, `/trace/${traceId}?span=${spanId}`, `/trace/${traceId}?span=${parentId}`, null]),
  );
  await screenshot(page, 'sql-console-links');
  // A span id opens its trace with that span selected.
  const [traceId, spanId] = expected.body.rows[0] as [string, string];
  await page.locator('table.sql-result tbody tr').first().locator('td').nth(1).getByRole('link').click();
  await page.waitForURL(`${server!.queryUrl}/trace/${traceId}?span=${spanId}`);
  await page.locator(`[role=treeitem][data-span-id="${spanId}"][aria-selected=true]`).waitFor();
  await page.goBack();
  // Back on the console, with the linked query's rows again, before the next query is typed into it.
  await page.waitForFunction((query) => (document.querySelector('textarea.sql-editor') as HTMLTextAreaElement | null)?.value === query, sql);
  await page.locator('table.sql-result tbody tr').first().waitFor();

  // CSV: the columns and rows as shown, quoted where needed; counts as numbers.
  const tricky = `SELECT 42 AS n, count(*) AS spans, 'a,b' AS comma, 'say "hi"' AS quote, 'two' || chr(10) || 'lines' AS lines, NULL AS nothing, [1, 2] AS list FROM spans`;
  await typeQuery(page, tricky);
  await page.keyboard.press('Control+Enter');
  await page.locator('table.sql-result th', { hasText: 'nothing' }).waitFor();
  const answer = await postSql(tricky);
  const spans = answer.body.rows[0]![1];
  assert.equal(typeof spans, 'number', 'count(*) comes as a JSON number');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
  assert.equal(download.suggestedFilename(), 'ducktrace-sql.csv');
  const file = await download.path();
  const { readFile } = await import('node:fs/promises');
  assert.equal(await readFile(file, 'utf8'), `n,spans,comma,quote,lines,nothing,list\r\n42,${spans},"a,b","say ""hi""","two\nlines",,"[1,2]"\r\n`);
  await screenshot(page, 'sql-console-csv');

  // Comparing a span time with now() fails in DuckDB; the message says to use utc_now().
  await typeQuery(page, 'SELECT count(*) FROM spans WHERE start_time > now() - INTERVAL 1 HOUR');
  await page.keyboard.press('Control+Enter');
  await page.locator('.sql-error').waitFor();
  assert.match(await page.locator('.sql-error').innerText(), /TIMESTAMP WITH TIME ZONE[\s\S]*Hint: .*utc_now\(\)/);
  await screenshot(page, 'sql-console-utc-hint');

  // A truncated result says that only its shown rows go into the file.
  await typeQuery(page, 'SELECT * FROM range(1000)');
  await page.keyboard.press('Control+Enter');
  await page.locator('.sql-truncated').waitFor();
  assert.equal(await page.locator('.sql-csv').innerText(), `Download CSV (first ${ROW_CAP} rows)`);
  assert.deepEqual(errors, []);
  await page.close();
});
