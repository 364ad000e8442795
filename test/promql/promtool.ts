import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';

// The unit-test types keep promtool's own snake_case keys so they are written to YAML as-is and
// match https://prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules/.

export interface InputSeries {
  /** e.g. `vllm:num_requests_waiting{pod="a"}` */
  readonly series: string;
  /** Expanding notation, e.g. `0+5x10` or `1 2 _ stale`. */
  readonly values: string;
}

export interface ExpectedAlert {
  readonly exp_labels?: Record<string, string>;
  readonly exp_annotations?: Record<string, string>;
}

export interface AlertRuleTest {
  readonly eval_time: string;
  readonly alertname: string;
  /** Empty means "expect this alert not to be firing". */
  readonly exp_alerts: ExpectedAlert[];
}

export interface ExpectedSample {
  /** Series selector notation, e.g. `{}` or `job:foo:sum{pod="a"}`. */
  readonly labels: string;
  readonly value: number;
}

export interface PromqlExprTest {
  readonly expr: string;
  readonly eval_time: string;
  readonly exp_samples: ExpectedSample[];
}

export interface PromtoolTest {
  readonly name?: string;
  /** Scrape interval of input_series; defaults to evaluation_interval. */
  readonly interval?: string;
  readonly input_series: InputSeries[];
  readonly alert_rule_test?: AlertRuleTest[];
  readonly promql_expr_test?: PromqlExprTest[];
  readonly external_labels?: Record<string, string>;
}

/** Absolute path of `promtool` on PATH, if any. */
export function promtoolPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'promtool');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * True if promtool is available. Without it: false (with a warning) locally so callers can skip,
 * but throws when CI is set so a CI image without promtool can't silently skip these tests.
 */
export function requirePromtool(): boolean {
  if (promtoolPath()) return true;
  const ci = process.env.CI;
  if (ci && ci !== 'false' && ci !== '0') {
    throw new Error('promtool is not on PATH but CI is set; install it (Debian/Ubuntu: apt-get install prometheus)');
  }
  console.warn('promtool not found on PATH: skipping promtool tests (install the `prometheus` package to run them)');
  return false;
}

function runPromtool(args: string[], cwd: string): void {
  const bin = promtoolPath();
  if (!bin) throw new Error('promtool not found on PATH');
  const proc = spawnSync(bin, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (proc.error) throw proc.error;
  if (proc.status !== 0) {
    throw new Error(`promtool ${args.join(' ')} failed (exit ${proc.status ?? proc.signal}):\n${proc.stdout}${proc.stderr}`);
  }
}

function writeYaml(file: string, data: object): void {
  // lineWidth 0: never fold long PromQL expressions across lines.
  fs.writeFileSync(file, stringify(data, { lineWidth: 0 }));
}

function withTempDir(fn: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promtool-'));
  try {
    fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `promtool check rules` (duplicate-rule lint is fatal) on the given rule groups. */
export function checkRules(groups: object[]): void {
  withTempDir((dir) => {
    writeYaml(path.join(dir, 'rules.yaml'), { groups });
    runPromtool(['check', 'rules', '--lint-fatal', 'rules.yaml'], dir);
  });
}

/** Runs `promtool test rules` for the given rule groups (may be empty) and unit tests. */
export function testRules(groups: object[], tests: PromtoolTest[], opts: { evaluationInterval?: string } = {}): void {
  withTempDir((dir) => {
    const ruleFiles: string[] = [];
    if (groups.length > 0) {
      writeYaml(path.join(dir, 'rules.yaml'), { groups });
      ruleFiles.push('rules.yaml');
    }
    writeYaml(path.join(dir, 'tests.yaml'), { rule_files: ruleFiles, evaluation_interval: opts.evaluationInterval ?? '1m', tests });
    runPromtool(['test', 'rules', 'tests.yaml'], dir);
  });
}

/** Asserts the value of one PromQL expression at `evalTime` over series scraped every minute. */
export function evalExpr(expr: string, series: InputSeries[], evalTime: string, expected: ExpectedSample[]): void {
  testRules([], [{ interval: '1m', input_series: series, promql_expr_test: [{ expr, eval_time: evalTime, exp_samples: expected }] }]);
}

/**
 * Runs `promtool check rules` once over many rule files (one per entry of `files`), so thousands of synthesized
 * PrometheusRules cost one process. Throws with promtool's output when any file is refused.
 */
export function checkRuleFiles(files: object[][]): void {
  if (files.length === 0) return;
  withTempDir((dir) => {
    const names = files.map((groups, i) => {
      const name = `rules-${i}.yaml`;
      writeYaml(path.join(dir, name), { groups });
      return name;
    });
    const proc = spawnSync(promtoolPath() ?? 'promtool', ['check', 'rules', ...names], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    if (proc.error) throw proc.error;
    if (proc.status !== 0) {
      // Only the refused files, with their rule groups, not one line per file checked.
      const failed = `${proc.stdout}${proc.stderr}`.split('\n').filter((line) => !/^Checking |^\s+SUCCESS|^\s*$/.test(line));
      const refused = [...new Set(failed.map((line) => /rules-(\d+)\.yaml/.exec(line)?.[1]).filter((i) => i !== undefined))];
      throw new Error(`promtool check rules refused ${refused.length} of ${names.length} rule files:\n${failed.slice(0, 20).join('\n')}\n`
        + refused.slice(0, 3).map((i) => stringify({ groups: files[Number(i)] }, { lineWidth: 0 })).join('---\n'));
    }
  });
}
