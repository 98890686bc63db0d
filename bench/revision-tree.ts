/**
 * A git revision built beside the working tree, for the side-by-side benchmark (issue 14): a detached worktree
 * under /tmp whose node_modules is the working tree's when both lock files are identical (else `npm ci` there),
 * so both sides run the same dependencies unless the revision pinned others.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface RevisionTree {
  /** The revision as given and the commit it names. */
  rev: string;
  commit: string;
  dir: string;
  /** Removes the worktree (and its registration) if this run made it; one found in place is someone else's run's. */
  remove: () => void;
}

const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

export function checkoutRevision(repoDir: string, rev: string, log: (line: string) => void): RevisionTree {
  const commit = git(repoDir, 'rev-parse', '--verify', `${rev}^{commit}`);
  const dir = `/tmp/bench-${commit.slice(0, 12)}`;
  const found = existsSync(dir);
  if (found) {
    // A tree left by an earlier run (--keep or a crash): reuse it only if it still holds this exact commit.
    if (git(dir, 'rev-parse', 'HEAD') !== commit || git(dir, 'status', '--porcelain', '--untracked-files=no') !== '') {
      throw new Error(`${dir} exists but is not a clean checkout of ${commit}; remove it (git worktree remove --force ${dir})`);
    }
    log(`reusing ${dir} (${commit.slice(0, 12)})`);
  } else {
    git(repoDir, 'worktree', 'add', '--detach', dir, commit);
    log(`checked out ${rev} (${commit.slice(0, 12)}) in ${dir}`);
  }
  const modules = join(dir, 'node_modules');
  if (!existsSync(modules)) {
    const ours = readFileSync(join(repoDir, 'package-lock.json'), 'utf8');
    const theirs = git(repoDir, 'show', `${commit}:package-lock.json`);
    if (ours.trim() === theirs.trim()) {
      symlinkSync(realpathSync(join(repoDir, 'node_modules')), modules);
      log('package-lock.json identical: node_modules shared with the working tree');
    } else {
      log('package-lock.json differs: npm ci in the revision tree');
      execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
    }
  }
  return {
    rev,
    commit,
    dir,
    remove: () => {
      if (!found) git(repoDir, 'worktree', 'remove', '--force', dir);
    },
  };
}
