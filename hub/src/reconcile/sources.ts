import { join } from 'node:path';
import type { SecretBox } from '../secrets.js';
import { GitSource, type RepoAuth } from '../source/git-source.js';
import {
  DEFAULT_REPO_ENV_PREFIX,
  REPO_SECRETS_DIR,
  resolveRepoAuth,
  type RepoCredentialPolicy,
} from '../source/repo-credentials.js';
import type { Repo, Store } from '../store/index.js';

/** One GitSource per repo, rebuilt when the repo's URL or credentials change (trees: trees.ts). */
export class Sources {
  private readonly sources = new Map<string, { key: string; source: GitSource }>();

  constructor(
    private readonly store: Store,
    private readonly dataDir: string,
    private readonly secrets: SecretBox,
    private readonly credentials: RepoCredentialPolicy = {
      secretsDir: join(dataDir, REPO_SECRETS_DIR),
      envPrefix: DEFAULT_REPO_ENV_PREFIX,
    },
    private readonly env: Readonly<Record<string, string | undefined>> = process.env,
  ) {}

  get(repoName: string): GitSource {
    const repo = this.store.repos.get(repoName);
    if (!repo) throw new Error(`repo ${repoName} does not exist`);
    const key = JSON.stringify([repo.url, repo.auth ?? {}]);
    const have = this.sources.get(repoName);
    if (have && have.key === key) return have.source;
    // Throws, naming the repo, for credentials in the URL or auth outside the policy: that repo's
    // fetches fail with the reason, nothing is sent.
    const auth = this.credentialsOf(repo);
    const source = new GitSource({
      name: repo.name,
      url: repo.url,
      cacheDir: join(this.dataDir, 'repos', encodeURIComponent(repo.name)),
      ...(auth ? { auth } : {}),
    });
    this.sources.set(repoName, { key, source });
    return source;
  }

  /**
   * The credentials a repo stands for, resolved as its fetches resolve them (sealed values opened,
   * the named variable or secrets file read): throws RepoCredentialError naming what is missing.
   */
  credentialsOf(repo: Pick<Repo, 'name' | 'url' | 'auth'>): RepoAuth | undefined {
    return resolveRepoAuth(repo, this.secrets, this.credentials, this.env);
  }
}
