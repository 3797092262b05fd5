//! Desired state from a local git repository (feature `git`, through gix).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::impact::{ImpactAnalysis, Resource, diff_manifests, parse_manifests};

/// A local git repository holding manifests.
#[derive(Debug)]
pub struct GitRepo {
    path: PathBuf,
    repo: gix::Repository,
}

/// A resolved commit: its full hex id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommitId(pub String);

impl std::fmt::Display for CommitId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl GitRepo {
    /// Opens the repository at `path` (a work tree or a bare repository).
    ///
    /// # Errors
    /// [`Error::Git`] when it is not a git repository.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_owned();
        let repo = gix::open(&path).map_err(|e| Error::Git {
            repo: path.clone(),
            message: e.to_string(),
        })?;
        Ok(Self { path, repo })
    }

    fn git_err(&self, e: impl std::fmt::Display) -> Error {
        Error::Git {
            repo: self.path.clone(),
            message: e.to_string(),
        }
    }

    /// Validates a commit id: 4 to 40 hexadecimal digits (or `HEAD`) that
    /// resolve, unambiguously, to a commit of this repository.
    ///
    /// # Errors
    /// [`Error::InvalidCommitId`] when the text is not hexadecimal of a
    /// valid length; [`Error::UnknownCommit`] when it resolves to nothing,
    /// to several objects, or to an object that is not a commit.
    pub fn resolve_commit(&self, rev: &str) -> Result<CommitId> {
        let unknown = |message: String| Error::UnknownCommit {
            rev: rev.to_owned(),
            repo: self.path.clone(),
            message,
        };
        let id = if rev == "HEAD" {
            self.repo
                .head_id()
                .map_err(|e| unknown(e.to_string()))?
                .detach()
        } else {
            if !(4..=40).contains(&rev.len()) || !rev.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Error::InvalidCommitId {
                    rev: rev.to_owned(),
                });
            }
            let prefix = gix::hash::Prefix::from_hex(&rev.to_ascii_lowercase()).map_err(|_| {
                Error::InvalidCommitId {
                    rev: rev.to_owned(),
                }
            })?;
            match self.repo.objects.lookup_prefix(prefix, None) {
                Ok(Some(Ok(id))) => id,
                Ok(Some(Err(()))) => return Err(unknown("the abbreviation is ambiguous".into())),
                Ok(None) => return Err(unknown("no such object".into())),
                Err(e) => return Err(self.git_err(e)),
            }
        };
        let object = self
            .repo
            .find_object(id)
            .map_err(|e| unknown(e.to_string()))?;
        if object.kind != gix::object::Kind::Commit {
            return Err(unknown(format!("{id} is a {}, not a commit", object.kind)));
        }
        Ok(CommitId(id.to_string()))
    }

    /// Reads every `*.yaml` / `*.yml` file of the commit's tree (under
    /// `dir` when given, for example `deploy/prod`) as manifests, in path order.
    ///
    /// # Errors
    /// As [`Self::resolve_commit`]; [`Error::Manifest`] when a file does not
    /// parse (naming `commit:path`); [`Error::Git`] when objects cannot be read.
    pub fn manifests_at(&self, rev: &str, dir: Option<&str>) -> Result<Vec<Resource>> {
        let commit_id = self.resolve_commit(rev)?;
        let id = gix::ObjectId::from_hex(commit_id.0.as_bytes()).map_err(|e| self.git_err(e))?;
        let commit = self
            .repo
            .find_object(id)
            .map_err(|e| self.git_err(e))?
            .try_into_commit()
            .map_err(|e| self.git_err(e))?;
        let tree = commit.tree().map_err(|e| self.git_err(e))?;
        let mut recorder = gix::traverse::tree::Recorder::default();
        tree.traverse()
            .breadthfirst(&mut recorder)
            .map_err(|e| self.git_err(e))?;
        let prefix = dir.map(|d| format!("{}/", d.trim_end_matches('/')));
        let mut entries: Vec<_> = recorder
            .records
            .into_iter()
            .filter(|e| e.mode.is_blob())
            .filter_map(|e| {
                let path = e.filepath.to_string();
                let yaml = path.ends_with(".yaml") || path.ends_with(".yml");
                let inside = prefix.as_deref().is_none_or(|p| path.starts_with(p));
                (yaml && inside).then_some((path, e.oid))
            })
            .collect();
        entries.sort();
        let mut out = Vec::new();
        for (path, oid) in entries {
            let blob = self.repo.find_object(oid).map_err(|e| self.git_err(e))?;
            let source = format!("{}:{path}", &commit_id.0[..12]);
            let text = std::str::from_utf8(&blob.data).map_err(|e| Error::Manifest {
                source_name: source.clone(),
                message: format!("not UTF-8: {e}"),
            })?;
            out.extend(parse_manifests(&source, text)?);
        }
        Ok(out)
    }

    /// Diffs the manifests of two commits (under `dir` when given).
    ///
    /// # Errors
    /// As [`Self::manifests_at`].
    pub fn impact(&self, from: &str, to: &str, dir: Option<&str>) -> Result<ImpactAnalysis> {
        let old = self.manifests_at(from, dir)?;
        let new = self.manifests_at(to, dir)?;
        Ok(diff_manifests(&old, &new))
    }
}
