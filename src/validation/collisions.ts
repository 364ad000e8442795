import { Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { subjectOf } from '../errors';

/**
 * Names that must be unique across every chart of an app: Services in one namespace, and the directories revisions
 * are downloaded to on one claim. cdk8s has no app-level hook, so each construct that owns such a name adds a
 * validation that walks the whole app (`node.root`) and compares the rendered names of every owner. Only the later
 * of two colliding owners reports, so each collision is one error naming both paths.
 */

/** One name an owner renders. */
export interface OwnedName {
  /** What kind of name: 'Service' or 'cache directory'. */
  readonly kind: 'Service' | 'cache directory' | 'dashboard uid';
  /** The scope in which it must be unique (a namespace, or a claim in a namespace). */
  readonly scope: string;
  /** The rendered name. */
  readonly name: string;
  /** What the name holds, when two owners may share it for the same content (a cache directory's model@revision). */
  readonly content?: string;
}

const OWNED = Symbol.for('cdk8s-vllm.owned-names');

interface Owner extends IConstruct {
  [OWNED]?: { kind: string; names: () => OwnedName[] };
}

/** The namespace an object lands in: its own, its chart's, or, for neither, the chart (unknown until applied). */
export function namespaceScope(object: IConstruct, namespace: string | undefined): string {
  const resolved = namespace ?? Chart.of(object).namespace;
  return resolved !== undefined ? `namespace '${resolved}'` : `the namespace chart '${Chart.of(object).node.path}' is applied to`;
}

/** Registers the names `owner` renders and the app-wide check of them. */
export function registerNames(owner: IConstruct, kind: string, names: () => OwnedName[]): void {
  (owner as Owner)[OWNED] = { kind, names };
  owner.node.addValidation({ validate: () => collisions(owner as Owner) });
}

function collisions(owner: Owner): string[] {
  const own = owner[OWNED]!;
  const subject = subjectOf(owner, own.kind);
  const errors: string[] = [];
  for (const name of own.names()) {
    if (name.kind === 'Service' && name.name === 'kubernetes' && name.scope === "namespace 'default'") {
      errors.push(`${subject}: Service name ('kubernetes') in namespace 'default' is the API server's own Service: applying it would break every client in the cluster; choose another name or namespace`);
    }
  }
  const ownNames = own.names();
  for (const other of owner.node.root.node.findAll() as Owner[]) {
    if (other === owner) break; // only owners before this one: each collision is reported once, by the later owner
    const registered = other[OWNED];
    if (!registered) continue;
    for (const theirs of registered.names()) {
      for (const mine of ownNames) {
        if (mine.kind !== theirs.kind || mine.scope !== theirs.scope || mine.name !== theirs.name) continue;
        if (mine.kind === 'Service') {
          errors.push(`${subject}: Service name ('${mine.name}') in ${mine.scope} is also a Service of ${subjectOf(other, registered.kind)}: `
            + 'two Services with one name in one namespace replace each other when applied; give one of them another name (serviceName)');
        } else if (mine.kind === 'dashboard uid') {
          errors.push(`${subject}: dashboard uid ('${mine.name}') is also the uid of ${subjectOf(other, registered.kind)}: `
            + 'Grafana keeps one dashboard per uid and drops the other; give one of them another uid');
        } else if (mine.content !== theirs.content) {
          errors.push(`${subject}: cache directory ('${mine.name}') on ${mine.scope} holds ${mine.content}, and ${subjectOf(other, registered.kind)} `
            + `downloads ${theirs.content} to the same directory: the revisions would overwrite each other; give them different claims`);
        }
      }
    }
  }
  return errors;
}
