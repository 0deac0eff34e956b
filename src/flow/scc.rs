//! Strongly connected components (Tarjan's algorithm, without recursion so that long chains
//! cannot exhaust the stack) and the shortest cycle through a component.

use std::collections::VecDeque;

/// The components of a graph given as successor lists, each a list of its nodes. Components
/// come out in reverse topological order (a component before those that reach it).
pub fn components(successors: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = successors.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut result = Vec::new();
    let mut next_index = 0;
    // Each frame: the node and how many of its successors have been visited.
    let mut frames: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        frames.push((root, 0));
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (node, ref mut visited)) = frames.last_mut() {
            if let Some(&next) = successors[node].get(*visited) {
                *visited += 1;
                if index[next] == UNSEEN {
                    index[next] = next_index;
                    low[next] = next_index;
                    next_index += 1;
                    stack.push(next);
                    on_stack[next] = true;
                    frames.push((next, 0));
                } else if on_stack[next] {
                    low[node] = low[node].min(index[next]);
                }
                continue;
            }
            frames.pop();
            if let Some(&(parent, _)) = frames.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == index[node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                result.push(component);
            }
        }
    }
    result
}

/// The shortest cycle through `start` using only nodes for which `inside` holds, as the list
/// of nodes in order (the first is `start`), found by breadth-first search.
pub fn shortest_cycle_through(
    start: usize,
    successors: &[Vec<usize>],
    inside: impl Fn(usize) -> bool,
) -> Option<Vec<usize>> {
    path_to_a_step_into(start, start, successors, inside)
}

/// The shortest cycle that takes the step `from → to`, using only nodes for which `inside`
/// holds, as the list of nodes in order (the first is `from`).
pub fn shortest_cycle_along(
    from: usize,
    to: usize,
    successors: &[Vec<usize>],
    inside: impl Fn(usize) -> bool,
) -> Option<Vec<usize>> {
    if from == to {
        return Some(vec![from]);
    }
    let back = path_to_a_step_into(to, from, successors, inside)?;
    Some(std::iter::once(from).chain(back).collect())
}

/// The shortest path from `source` to a node with a step into `target`, through nodes for which
/// `inside` holds, by breadth-first search: the nodes from `source` to that one.
fn path_to_a_step_into(
    source: usize,
    target: usize,
    successors: &[Vec<usize>],
    inside: impl Fn(usize) -> bool,
) -> Option<Vec<usize>> {
    let mut parent: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    let mut queue = VecDeque::from([source]);
    while let Some(node) = queue.pop_front() {
        for &next in &successors[node] {
            if next == target {
                let mut path = vec![node];
                let mut at = node;
                while at != source {
                    at = parent[&at];
                    path.push(at);
                }
                path.reverse();
                return Some(path);
            }
            if inside(next) && !parent.contains_key(&next) && next != source {
                parent.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cycle_along_a_step_starts_with_it() {
        // 0 → 1 → 0 and 0 → 2 → 3 → 0: the step 0 → 2 is only on the longer ring.
        let graph = vec![vec![1, 2], vec![0], vec![3], vec![0]];
        assert_eq!(
            shortest_cycle_along(0, 2, &graph, |_| true),
            Some(vec![0, 2, 3])
        );
        assert_eq!(
            shortest_cycle_along(1, 0, &graph, |_| true),
            Some(vec![1, 0])
        );
        assert_eq!(shortest_cycle_along(2, 2, &graph, |_| true), Some(vec![2]));
        assert_eq!(shortest_cycle_along(2, 3, &graph, |u| u != 0), None);
    }

    #[test]
    fn finds_rings_and_leaves_chains_alone() {
        // 0 → 1 → 2 → 0 is a ring; 3 → 4 a chain; 5 loops on itself.
        let graph = vec![vec![1], vec![2], vec![0], vec![4], vec![], vec![5]];
        let mut sizes: Vec<usize> = components(&graph).iter().map(Vec::len).collect();
        sizes.sort();
        assert_eq!(sizes, vec![1, 1, 1, 3]);
        assert_eq!(
            shortest_cycle_through(0, &graph, |_| true),
            Some(vec![0, 1, 2])
        );
        assert_eq!(shortest_cycle_through(5, &graph, |_| true), Some(vec![5]));
        assert_eq!(shortest_cycle_through(3, &graph, |_| true), None);
    }

    #[test]
    fn the_shortest_of_two_cycles_is_chosen() {
        // 0 → 1 → 2 → 3 → 0 and 0 → 4 → 0.
        let graph = vec![vec![1, 4], vec![2], vec![3], vec![0], vec![0]];
        assert_eq!(
            shortest_cycle_through(0, &graph, |_| true),
            Some(vec![0, 4])
        );
    }

    #[test]
    fn a_long_chain_does_not_exhaust_the_stack() {
        let n = 200_000;
        let graph: Vec<Vec<usize>> = (0..n).map(|i| vec![(i + 1) % n]).collect();
        assert_eq!(components(&graph).len(), 1);
    }
}
