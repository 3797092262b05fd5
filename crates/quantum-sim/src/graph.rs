//! Weighted undirected graphs for MaxCut.

use aiops_core::Num;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::hamiltonian::ZHamiltonian;
use crate::qubo::Qubo;
use crate::{Error, Result};

/// Largest sum of absolute edge weights a [`Graph`] accepts. Cut values,
/// the MaxCut Hamiltonian and QAOA expectations are sums of edge weights,
/// so bounding the total keeps every one of them finite.
pub const MAX_TOTAL_WEIGHT: f64 = 1e300;

/// An undirected graph with weighted edges on nodes `0..n`.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    name: String,
    num_nodes: usize,
    edges: Vec<(usize, usize, f64)>,
    /// Original node ids when read from a file (`labels[i]` is node `i`).
    labels: Vec<i64>,
}

impl Graph {
    /// A graph from edges `(u, v, weight)`; `name` is used in error messages.
    ///
    /// # Errors
    /// [`Error::EmptyGraph`] without nodes or edges, [`Error::Invalid`] for a
    /// self-loop, an out-of-range node, a non-finite weight, absolute
    /// weights summing above [`MAX_TOTAL_WEIGHT`], or the same undirected
    /// edge twice (`(u, v)` and `(v, u)` are the same edge; duplicates are
    /// not merged).
    pub fn new(name: &str, num_nodes: usize, edges: Vec<(usize, usize, f64)>) -> Result<Self> {
        if num_nodes == 0 || edges.is_empty() {
            return Err(Error::EmptyGraph {
                name: name.to_owned(),
                message: format!("{num_nodes} nodes, {} edges", edges.len()),
            });
        }
        let mut seen: HashMap<(usize, usize), usize> = HashMap::with_capacity(edges.len());
        let mut total = 0.0;
        for (k, &(u, v, w)) in edges.iter().enumerate() {
            if u >= num_nodes || v >= num_nodes {
                return Err(Error::invalid(
                    "edge",
                    format!("({u}, {v}) in `{name}` names a node >= {num_nodes}"),
                ));
            }
            if u == v {
                return Err(Error::invalid(
                    "edge",
                    format!("self-loop on node {u} in `{name}`"),
                ));
            }
            if !w.is_finite() {
                return Err(Error::invalid(
                    "edge",
                    format!("weight {} of ({u}, {v}) in `{name}`", Num(w)),
                ));
            }
            total += w.abs();
            if total > MAX_TOTAL_WEIGHT {
                return Err(Error::invalid(
                    "edge",
                    format!(
                        "weight {} of ({u}, {v}) in `{name}` brings the total absolute weight \
                         to {}, above {}",
                        Num(w),
                        Num(total),
                        Num(MAX_TOTAL_WEIGHT)
                    ),
                ));
            }
            if let Some(first) = seen.insert((u.min(v), u.max(v)), k) {
                return Err(Error::invalid(
                    "edge",
                    format!(
                        "({u}, {v}) in `{name}` repeats edge {first} (edges are undirected; \
                         combine duplicate edges into one weight)"
                    ),
                ));
            }
        }
        Ok(Self {
            name: name.to_owned(),
            num_nodes,
            edges,
            labels: (0..num_nodes as i64).collect(),
        })
    }

    /// An unweighted graph from node pairs.
    ///
    /// # Errors
    /// As [`Graph::new`].
    pub fn unweighted(name: &str, num_nodes: usize, pairs: &[(usize, usize)]) -> Result<Self> {
        Self::new(
            name,
            num_nodes,
            pairs.iter().map(|&(u, v)| (u, v, 1.0)).collect(),
        )
    }

    /// Parse a `from,to[,weight]` CSV (header optional, `#` comments and blank
    /// lines skipped). Node ids are non-negative integers; distinct ids are
    /// numbered `0..n` in increasing order (see [`Graph::labels`]).
    ///
    /// # Errors
    /// [`Error::Parse`] with the line number for a malformed line, a negative
    /// node id, a self-loop, an edge repeated on another line (`0,1` and
    /// `1,0` are the same undirected edge; the message names both lines), or
    /// a weight that brings the total absolute weight above
    /// [`MAX_TOTAL_WEIGHT`]; plus the errors of [`Graph::new`].
    pub fn parse_csv(name: &str, text: &str) -> Result<Self> {
        let mut raw = Vec::new();
        let mut seen: HashMap<(i64, i64), usize> = HashMap::new();
        let mut total = 0.0;
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = t.split(',').map(str::trim).collect();
            let perr = |message: String| Error::Parse {
                file: name.to_owned(),
                line: line_no,
                message,
            };
            if !(2..=3).contains(&fields.len()) {
                return Err(perr(format!(
                    "expected `from,to[,weight]`, got {} fields",
                    fields.len()
                )));
            }
            let u = fields[0].parse::<i64>();
            let v = fields[1].parse::<i64>();
            let (u, v) = match (u, v) {
                (Ok(u), Ok(v)) => (u, v),
                // A header: the first data line with neither field numeric.
                (Err(_), Err(_)) if raw.is_empty() && line_no == first_data_line(text) => continue,
                _ => {
                    return Err(perr(format!(
                        "node ids must be integers, got `{}`,`{}`",
                        fields[0], fields[1]
                    )));
                }
            };
            let w = match fields.get(2) {
                Some(s) => s
                    .parse::<f64>()
                    .ok()
                    .filter(|w| w.is_finite())
                    .ok_or_else(|| perr(format!("weight `{s}` is not a finite number")))?,
                None => 1.0,
            };
            if u < 0 || v < 0 {
                return Err(perr(format!(
                    "node ids must be non-negative integers, got `{u}`,`{v}`"
                )));
            }
            if u == v {
                return Err(perr(format!("self-loop on node {u}")));
            }
            if let Some(first) = seen.insert((u.min(v), u.max(v)), line_no) {
                return Err(perr(format!(
                    "edge {u},{v} repeats the edge on line {first} (edges are undirected and \
                     duplicates are not merged; combine them into one line with the summed weight)"
                )));
            }
            total += w.abs();
            if total > MAX_TOTAL_WEIGHT {
                return Err(perr(format!(
                    "weight {} brings the total absolute edge weight to {}, above {} \
                     (cut values would overflow); scale the weights down",
                    Num(w),
                    Num(total),
                    Num(MAX_TOTAL_WEIGHT)
                )));
            }
            raw.push((u, v, w));
        }
        let mut ids: BTreeMap<i64, usize> = BTreeMap::new();
        for &(u, v, _) in &raw {
            ids.insert(u, 0);
            ids.insert(v, 0);
        }
        for (k, slot) in ids.values_mut().enumerate() {
            *slot = k;
        }
        let edges = raw.iter().map(|&(u, v, w)| (ids[&u], ids[&v], w)).collect();
        let mut g = Self::new(name, ids.len(), edges)?;
        g.labels = ids.keys().copied().collect();
        Ok(g)
    }

    /// Read a graph CSV file (see [`Graph::parse_csv`]).
    ///
    /// # Errors
    /// [`Error::Io`] and the errors of [`Graph::parse_csv`].
    pub fn read_csv(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::parse_csv(&path.display().to_string(), &text)
    }

    /// A uniformly random simple `degree`-regular graph on `n` nodes (pairing
    /// model with rejection, seeded).
    ///
    /// # Errors
    /// [`Error::Invalid`] when `n * degree` is odd, `degree >= n`, or no simple
    /// graph was found in 1000 tries.
    pub fn random_regular(n: usize, degree: usize, seed: u64) -> Result<Self> {
        if n == 0 || degree == 0 || degree >= n || (n * degree) % 2 == 1 {
            return Err(Error::invalid(
                "random_regular",
                format!("no simple {degree}-regular graph on {n} nodes"),
            ));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        'attempt: for _ in 0..1000 {
            let mut stubs: Vec<usize> = (0..n)
                .flat_map(|v| std::iter::repeat_n(v, degree))
                .collect();
            for i in (1..stubs.len()).rev() {
                let j = rng.random_range(0..=i);
                stubs.swap(i, j);
            }
            let mut seen = std::collections::HashSet::new();
            let mut edges = Vec::with_capacity(stubs.len() / 2);
            for pair in stubs.chunks_exact(2) {
                let (u, v) = (pair[0].min(pair[1]), pair[0].max(pair[1]));
                if u == v || !seen.insert((u, v)) {
                    continue 'attempt;
                }
                edges.push((u, v, 1.0));
            }
            return Self::new(
                &format!("random {degree}-regular n={n} seed={seed}"),
                n,
                edges,
            );
        }
        Err(Error::invalid(
            "random_regular",
            format!("no simple {degree}-regular graph on {n} nodes found in 1000 tries"),
        ))
    }

    /// Name given at construction (file path for CSV input).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of nodes.
    #[must_use]
    pub fn num_nodes(&self) -> usize {
        self.num_nodes
    }

    /// Edges `(u, v, weight)`.
    #[must_use]
    pub fn edges(&self) -> &[(usize, usize, f64)] {
        &self.edges
    }

    /// Original node ids (`labels()[i]` is node `i`).
    #[must_use]
    pub fn labels(&self) -> &[i64] {
        &self.labels
    }

    /// Sum of edge weights.
    #[must_use]
    pub fn total_weight(&self) -> f64 {
        self.edges.iter().map(|e| e.2).sum()
    }

    /// Number of connected components.
    #[must_use]
    pub fn components(&self) -> usize {
        let mut parent: Vec<usize> = (0..self.num_nodes).collect();
        fn find(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        for &(u, v, _) in &self.edges {
            let (a, b) = (find(&mut parent, u), find(&mut parent, v));
            parent[a] = b;
        }
        (0..self.num_nodes)
            .filter(|&x| find(&mut parent, x) == x)
            .count()
    }

    /// `Ok(())` when connected.
    ///
    /// # Errors
    /// [`Error::DisconnectedGraph`].
    pub fn require_connected(&self) -> Result<()> {
        let c = self.components();
        if c > 1 {
            return Err(Error::DisconnectedGraph {
                name: self.name.clone(),
                components: c,
            });
        }
        Ok(())
    }

    /// Weight of the cut given by the bits of `z` (node `i` on side bit `i`).
    #[must_use]
    pub fn cut_value(&self, z: u64) -> f64 {
        self.edges
            .iter()
            .filter(|&&(u, v, _)| ((z >> u) ^ (z >> v)) & 1 == 1)
            .map(|e| e.2)
            .sum()
    }

    /// The MaxCut objective as a Z-string Hamiltonian whose value on `z` is the
    /// cut weight: `C = sum_{(u,v)} w_uv (1 - Z_u Z_v) / 2`.
    ///
    /// # Errors
    /// [`Error::TooLarge`] above 64 nodes.
    pub fn maxcut_hamiltonian(&self) -> Result<ZHamiltonian> {
        let mut h = ZHamiltonian::new(self.num_nodes)?;
        for &(u, v, w) in &self.edges {
            h.add_constant(w / 2.0);
            h.add_term(-w / 2.0, &[u, v])?;
        }
        Ok(h)
    }

    /// MaxCut as a QUBO to minimise: `E(x) = -cut(x) = sum w (2 x_u x_v - x_u - x_v)`.
    #[must_use]
    pub fn maxcut_qubo(&self) -> Qubo {
        let mut q = Qubo::zeros(self.num_nodes);
        for &(u, v, w) in &self.edges {
            q.add_linear(u, -w);
            q.add_linear(v, -w);
            q.add_quadratic(u, v, 2.0 * w);
        }
        q
    }
}

fn first_data_line(text: &str) -> usize {
    text.lines()
        .enumerate()
        .find(|(_, l)| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .map_or(0, |(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_header_and_ids() {
        let g = Graph::parse_csv("t", "from,to\n10,20\n20,30\n# c\n\n30,10\n").unwrap();
        assert_eq!(g.num_nodes(), 3);
        assert_eq!(g.labels(), &[10, 20, 30]);
        assert_eq!(g.edges().len(), 3);
        assert_eq!(g.cut_value(0b001), 2.0);
    }

    #[test]
    fn csv_errors() {
        assert!(matches!(
            Graph::parse_csv("t", "from,to\n1,x\n"),
            Err(Error::Parse { line: 2, .. })
        ));
        assert!(matches!(
            Graph::parse_csv("t", "from,to\n"),
            Err(Error::EmptyGraph { .. })
        ));
        assert!(matches!(
            Graph::parse_csv("t", "1,1\n"),
            Err(Error::Parse { line: 1, .. })
        ));
        assert!(matches!(
            Graph::parse_csv("t", "1,x\n2,3\n"),
            Err(Error::Parse { line: 1, .. })
        ));
        assert!(matches!(
            Graph::parse_csv("t", "0,1,abc\n"),
            Err(Error::Parse { line: 1, .. })
        ));
        let g = Graph::parse_csv("t", "0,1\n2,3\n").unwrap();
        assert!(matches!(
            g.require_connected(),
            Err(Error::DisconnectedGraph { components: 2, .. })
        ));
    }

    #[test]
    fn duplicate_and_negative_edges_name_the_lines() {
        for (text, line, other) in [
            ("0,1\n1,2\n0,1\n", 3, "line 1"),
            ("from,to\n0,1\n1,2\n1,0\n", 4, "line 2"),
            ("0,1,2.5\n\n# c\n1,0,1\n", 4, "line 1"),
        ] {
            match Graph::parse_csv("t", text) {
                Err(Error::Parse {
                    line: l, message, ..
                }) => {
                    assert_eq!(l, line, "{message}");
                    assert!(message.contains(other), "{message}");
                }
                other => panic!("expected a parse error, got {other:?}"),
            }
        }
        for (text, line) in [("-1,2\n", 1), ("0,1\n2,-3\n", 2)] {
            match Graph::parse_csv("t", text) {
                Err(Error::Parse {
                    line: l, message, ..
                }) => {
                    assert_eq!(l, line);
                    assert!(message.contains("non-negative"), "{message}");
                }
                other => panic!("expected a parse error, got {other:?}"),
            }
        }
        assert!(matches!(
            Graph::new("t", 3, vec![(0, 1, 1.0), (1, 2, 1.0), (1, 0, 1.0)]),
            Err(Error::Invalid { .. })
        ));
    }

    #[test]
    fn weights_whose_total_overflows_name_the_line() {
        let text = "0,1,1e308\n1,2,1e308\n2,3,1e308\n3,0,1e308\n";
        match Graph::parse_csv("t", text) {
            Err(Error::Parse {
                line: 1, message, ..
            }) => {
                assert!(message.contains("total absolute edge weight"), "{message}");
            }
            other => panic!("expected a parse error on line 1, got {other:?}"),
        }
        let text = "0,1,6e299\n1,2,-6e299\n";
        assert!(matches!(
            Graph::parse_csv("t", text),
            Err(Error::Parse { line: 2, .. })
        ));
        assert!(Graph::new("t", 3, vec![(0, 1, 1e300), (1, 2, 1e300)]).is_err());
        // Below the bound every derived quantity is finite.
        let g =
            Graph::parse_csv("t", "0,1,2.5e299\n1,2,2.5e299\n2,3,2.5e299\n3,0,2.5e299\n").unwrap();
        let h = g.maxcut_hamiltonian().unwrap();
        for z in 0..16u64 {
            assert!(g.cut_value(z).is_finite() && h.value(z).is_finite());
        }
    }

    #[test]
    fn random_regular_is_regular() {
        let g = Graph::random_regular(16, 3, 1).unwrap();
        let mut deg = [0usize; 16];
        for &(u, v, _) in g.edges() {
            deg[u] += 1;
            deg[v] += 1;
        }
        assert!(deg.iter().all(|&d| d == 3));
        assert!(Graph::random_regular(5, 3, 1).is_err());
    }

    #[test]
    fn hamiltonian_and_qubo_agree_with_cut() {
        let g = Graph::random_regular(8, 3, 2).unwrap();
        let h = g.maxcut_hamiltonian().unwrap();
        let q = g.maxcut_qubo();
        for z in 0..256u64 {
            assert!((h.value(z) - g.cut_value(z)).abs() < 1e-12);
            assert!((q.energy_bits(z) + g.cut_value(z)).abs() < 1e-12);
        }
    }
}
