//! Reinforcement-learning agents, bandits and an autoscaling environment driven by real traces, with the Kubernetes HPA as baseline
//!
//! (Under construction in this release.)
