import { intList, parseArgs } from './args';
import { cpuPercent, parseRss, parseStat } from './proc';

describe('bench support helpers', () => {
  it('reads ppid and CPU time from /proc/<pid>/stat, even with spaces and parentheses in the name', () => {
    // Fields: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
    const stat = '4242 (node (bench) x) S 17 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 11 0';
    expect(parseStat(stat)).toEqual({ ppid: 17, cpuSeconds: 3 });
  });

  it('reads VmRSS in bytes from /proc/<pid>/status', () => {
    expect(parseRss('Name:\tnode\nVmRSS:\t  204800 kB\nThreads:\t11\n')).toBe(204800 * 1024);
    expect(parseRss('Name:\tzombie\n')).toBe(0);
  });

  it('turns CPU seconds over wall seconds into percent of one core', () => {
    expect(cpuPercent({ cpuSeconds: 1, rssBytes: 0 }, { cpuSeconds: 2.5, rssBytes: 0 }, 3)).toBeCloseTo(50);
    expect(cpuPercent({ cpuSeconds: 1, rssBytes: 0 }, { cpuSeconds: 2, rssBytes: 0 }, 0)).toBe(0);
  });

  it('parses --flag, --name value and --name=value', () => {
    const args = parseArgs(['--quick', '--peers', '10,100', '--backend=fake', 'stray']);
    expect(args.get('quick')).toBe('true');
    expect(intList(args.get('peers'), [1])).toEqual([10, 100]);
    expect(args.get('backend')).toBe('fake');
    expect(intList(undefined, [5])).toEqual([5]);
    expect(() => intList('10,x', [])).toThrow(TypeError);
  });
});
