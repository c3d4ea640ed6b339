import { describe, expect, it } from 'vitest';
import { parseManifest } from '../lib/manifest';

const BOMB = `apiVersion: bytewax.io/v1alpha1
kind: Dataflow
metadata: {name: lol}
spec: {pythonFileName: a.py}
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
`;

describe('parseManifest, hostile and stray input', () => {
  it('turns an alias bomb into a problem instead of throwing', () => {
    let result: ReturnType<typeof parseManifest> | undefined;
    expect(() => (result = parseManifest(BOMB))).not.toThrow();
    expect(result!.manifest).toBeNull();
    expect(result!.problems).toHaveLength(1);
    expect(result!.problems[0].message).toMatch(/too many aliases.*more than 100 times/);
  });

  it('names an unknown top-level key, at its line', () => {
    const result = parseManifest(`apiVersion: bytewax.io/v1alpha1
kind: Dataflow
metadata:
  name: flow
sepc:
  pythonFileName: a.py
spec:
  pythonFileName: a.py
`);
    expect(result.manifest).toBeNull();
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0].message).toContain('unknown top-level key "sepc"');
    expect(result.problems[0].line).toBeGreaterThanOrEqual(5);
  });

  it('accepts status, and a few aliases', () => {
    const result = parseManifest(`apiVersion: bytewax.io/v1alpha1
kind: Dataflow
metadata: {name: flow}
spec:
  pythonFileName: &f a.py
  tarName: *f
status: {phase: Running}
`);
    expect(result.problems).toEqual([]);
    expect(result.manifest?.spec.tarName).toBe('a.py');
  });
});
