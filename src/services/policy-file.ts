import { readFileSync } from 'node:fs';
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_RULE_NAME, type Policy } from '../domain/policy.js';

/**
 * The policy file (IMAGEWARDEN_POLICY_FILE): YAML or JSON, validated against this schema; unknown keys are refused
 * so a typo never silently falls back to the default SLA. See docs/policy.md for an example.
 */
const Names = Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { minItems: 1, maxItems: 1000 });
const SelectorSchema = Type.Object(
  {
    subscriptions: Type.Optional(Names),
    resourceGroups: Type.Optional(Names),
    clusters: Type.Optional(Names),
    pools: Type.Optional(Names),
    modes: Type.Optional(Type.Array(Type.Union([Type.Literal('System'), Type.Literal('User'), Type.Literal('Gateway')]), { minItems: 1 })),
    tags: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 512 }), Type.String({ maxLength: 256 }), { minProperties: 1 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
const Clock = Type.Union([Type.Literal('release'), Type.Literal('regional_availability')]);
const SlaDays = Type.Integer({ minimum: 1, maximum: 3650 });

const PolicyFileSchema = Type.Object(
  {
    version: Type.Literal(1),
    defaults: Type.Optional(Type.Object({ slaDays: Type.Optional(SlaDays), clock: Type.Optional(Clock) }, { additionalProperties: false })),
    rules: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }),
            match: SelectorSchema,
            slaDays: Type.Optional(SlaDays),
            clock: Type.Optional(Clock),
          },
          { additionalProperties: false },
        ),
        { maxItems: 1000 },
      ),
    ),
    scopes: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }), SelectorSchema)),
    upgrades: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }),
            match: SelectorSchema,
            requireApproval: Type.Optional(Type.Boolean()),
            outsideWindow: Type.Optional(Type.Union([Type.Literal('allow'), Type.Literal('refuse')])),
          },
          { additionalProperties: false },
        ),
        { maxItems: 1000 },
      ),
    ),
  },
  { additionalProperties: false },
);

const checkPolicyFile = Compile(PolicyFileSchema);

export class PolicyFileError extends Error {
  constructor(file: string, problems: string[]) {
    super(`IMAGEWARDEN_POLICY_FILE ${file} is invalid:\n  ${problems.join('\n  ')}`);
    this.name = 'PolicyFileError';
  }
}

/** Parses and validates a policy document; `defaultSlaDays` (IMAGEWARDEN_PATCH_SLA_DAYS) applies where the file sets none. */
export function parsePolicy(text: string, source: string, defaultSlaDays: number): Policy {
  let document: unknown;
  try {
    document = parseYaml(text); // YAML is a superset of JSON: one parser serves both
  } catch (error) {
    throw new PolicyFileError(source, [`not valid YAML or JSON: ${(error as Error).message}`]);
  }
  if (!checkPolicyFile.Check(document)) {
    const problems = [...checkPolicyFile.Errors(document)].slice(0, 20).map((e) => `${e.instancePath || '/'}: ${e.message}`);
    throw new PolicyFileError(source, problems);
  }
  const file = document as Type.Static<typeof PolicyFileSchema>;
  const names = (file.rules ?? []).map((rule) => rule.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) throw new PolicyFileError(source, [`rule name "${duplicate}" is used twice`]);
  if (names.includes(DEFAULT_RULE_NAME)) throw new PolicyFileError(source, [`"${DEFAULT_RULE_NAME}" is reserved for the default rule`]);
  return {
    defaultSlaDays: file.defaults?.slaDays ?? defaultSlaDays,
    defaultClock: file.defaults?.clock ?? 'release',
    rules: file.rules ?? [],
    scopes: file.scopes ?? {},
    ...(file.upgrades && file.upgrades.length > 0 ? { upgrades: file.upgrades } : {}),
  };
}

export function loadPolicyFile(path: string, defaultSlaDays: number): Policy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PolicyFileError(path, [`cannot be read: ${(error as Error).message}`]);
  }
  return parsePolicy(text, path, defaultSlaDays);
}
