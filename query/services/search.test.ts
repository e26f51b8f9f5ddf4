import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAttributeFilters } from './attributeFilter.js';
import { searchSql, spanScanWindows, type TraceSearch } from './search.js';

const range = { startNs: 1_000n, endNs: 1_640n };
const search = (fields: Partial<TraceSearch>): TraceSearch => ({ range, attributes: [], limit: 20, ...fields });

test('a search with span filters scans the last sixteenth of the range, then the rest of the last quarter, then the rest: each span once', () => {
  for (const fields of [{ service: 'api' }, { attributes: parseAttributeFilters(['app.tier=gold']) }, { spanStatusCodes: [] }, { traceIds: ['a'.repeat(32)] }]) {
    assert.deepEqual(
      spanScanWindows(search(fields)),
      [
        { fromNs: 1_600n, toNs: 1_640n },
        { fromNs: 1_480n, toNs: 1_599n },
        { fromNs: 1_000n, toNs: 1_479n },
      ],
      JSON.stringify(fields),
    );
  }
});

test('a search with only trace-level filters is answered by the summaries, in one step', () => {
  for (const fields of [{}, { minDurationNs: 5n }, { status: 'error' as const }]) {
    assert.deepEqual(spanScanWindows(search(fields)), [{ fromNs: 1_000n, toNs: 1_640n }]);
    assert.doesNotMatch(searchSql(search(fields)).sql, /scanFrom/);
  }
});

test('a range too short to divide is scanned in fewer steps, still whole', () => {
  const windows = (endNs: bigint) => spanScanWindows({ ...search({ service: 'api' }), range: { startNs: 1_000n, endNs } });
  assert.deepEqual(windows(1_003n), [{ fromNs: 1_000n, toNs: 1_003n }]);
  assert.deepEqual(windows(1_010n), [{ fromNs: 1_008n, toNs: 1_010n }, { fromNs: 1_000n, toNs: 1_007n }]);
});

test('the span scan reads the window it is given', () => {
  const { sql, params } = searchSql(search({ service: 'api' }), { fromNs: 1_480n, toNs: 1_599n });
  assert.deepEqual([params.scanFrom, params.scanTo], [1_480n, 1_599n]);
  assert.match(sql, /s\.start_time BETWEEN make_timestamp_ns\(\$scanFrom::BIGINT\) AND make_timestamp_ns\(\$scanTo::BIGINT\) AND s\.service_name = \$service/);
});
