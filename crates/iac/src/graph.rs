//! A compact directed graph (compressed adjacency) with Kahn's topological
//! order and cycle extraction.

/// Edges `u -> v` mean "v runs after u".
#[derive(Debug, Clone)]
pub(crate) struct Graph {
    /// Successor offsets into `succ`, length `n + 1`.
    offsets: Vec<usize>,
    succ: Vec<usize>,
    indegree: Vec<usize>,
}

impl Graph {
    /// Builds the graph where node `i` runs after every node in `deps[i]`.
    pub(crate) fn from_deps<D: AsRef<[usize]>>(deps: &[D]) -> Graph {
        let n = deps.len();
        let mut count = vec![0usize; n + 1];
        let mut indegree = vec![0usize; n];
        for (i, d) in deps.iter().enumerate() {
            let d = d.as_ref();
            indegree[i] = d.len();
            for &u in d {
                count[u + 1] += 1;
            }
        }
        for i in 0..n {
            count[i + 1] += count[i];
        }
        let offsets = count.clone();
        let mut fill = count;
        let mut succ = vec![0usize; offsets[n]];
        for (i, d) in deps.iter().enumerate() {
            for &u in d.as_ref() {
                succ[fill[u]] = i;
                fill[u] += 1;
            }
        }
        Graph {
            offsets,
            succ,
            indegree,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.indegree.len()
    }

    pub(crate) fn successors(&self, u: usize) -> &[usize] {
        &self.succ[self.offsets[u]..self.offsets[u + 1]]
    }

    /// A topological order, or the nodes of one cycle (first repeated at
    /// the end) when there is none.
    pub(crate) fn topo_order(&self) -> Result<Vec<usize>, Vec<usize>> {
        let n = self.len();
        let mut indeg = self.indegree.clone();
        let mut order = Vec::with_capacity(n);
        let mut queue: Vec<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
        // FIFO over a growing vector keeps the order stable and
        // breadth-first by depth.
        let mut head = 0;
        while head < queue.len() {
            let u = queue[head];
            head += 1;
            order.push(u);
            for &v in self.successors(u) {
                indeg[v] -= 1;
                if indeg[v] == 0 {
                    queue.push(v);
                }
            }
        }
        if order.len() == n {
            return Ok(order);
        }
        Err(self.find_cycle(&indeg))
    }

    /// Finds one cycle among nodes with a remaining in-degree after Kahn's
    /// algorithm: walk predecessors (every such node has one that is also
    /// left) until a node repeats.
    fn find_cycle(&self, indeg: &[usize]) -> Vec<usize> {
        let n = self.len();
        // Predecessor lists restricted to remaining nodes.
        let mut pred: Vec<Option<usize>> = vec![None; n];
        for u in 0..n {
            if indeg[u] == 0 {
                continue;
            }
            for &v in self.successors(u) {
                if indeg[v] > 0 && pred[v].is_none() {
                    pred[v] = Some(u);
                }
            }
        }
        let Some(start) = (0..n).find(|&i| indeg[i] > 0) else {
            return Vec::new();
        };
        let mut seen = vec![usize::MAX; n];
        let mut path = Vec::new();
        let mut cur = start;
        loop {
            if seen[cur] != usize::MAX {
                let mut cyc: Vec<usize> = path[seen[cur]..].to_vec();
                // `path` follows predecessors; reverse into run order.
                cyc.reverse();
                let first = cyc[0];
                cyc.push(first);
                return cyc;
            }
            seen[cur] = path.len();
            path.push(cur);
            match pred[cur] {
                Some(p) => cur = p,
                None => return path,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_and_finds_cycles() {
        let deps: Vec<Vec<usize>> = vec![vec![], vec![0], vec![0, 1], vec![2]];
        let g = Graph::from_deps(&deps);
        assert_eq!(g.topo_order().unwrap(), vec![0, 1, 2, 3]);
        // 0 <- 3 <- 2 <- 1 <- 0 plus an independent 4
        let deps: Vec<Vec<usize>> = vec![vec![3], vec![0], vec![1], vec![2], vec![]];
        let cyc = Graph::from_deps(&deps).topo_order().unwrap_err();
        assert_eq!(cyc.len(), 5);
        assert_eq!(cyc.first(), cyc.last());
        // consecutive nodes are edges u -> v: v depends on u
        for w in cyc.windows(2) {
            assert!(deps[w[1]].contains(&w[0]), "{cyc:?}");
        }
    }
}
