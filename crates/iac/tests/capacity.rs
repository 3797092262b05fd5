//! Capacity planning from the sample load forecast, end to end: sizing,
//! the scaling-group plan, and applying it with the in-memory provider.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on unexpected errors"
)]

use std::sync::Arc;

use aiops_iac::{
    ApplyOptions, CapacityParams, InMemoryProvider, LoadForecast, ScalingGroup, State, apply, plan,
    plan_capacity,
};
use serde_json::json;

fn sample() -> LoadForecast {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/load_forecast.csv");
    LoadForecast::from_csv_str(p, &std::fs::read_to_string(p).unwrap()).unwrap()
}

#[tokio::test]
async fn sizes_plans_and_applies_the_sample() {
    let f = sample();
    assert_eq!(f.len(), 24);
    let params = CapacityParams::new(150.0, 0.7);
    let cp = plan_capacity(&f, &params, &ScalingGroup::default(), &State::new()).unwrap();
    let s = &cp.sizing;
    // 105 rps per node at 70 %: lower 560 -> 6, upper 2820 -> 27, first mean 820 -> 8.
    assert_eq!((s.min_nodes, s.desired_nodes, s.max_nodes), (6, 8, 27));
    assert!(s.peak_utilisation <= 0.7 + 1e-9);
    // steepest rise of the upper bound: 1810 -> 2340 = 530 rps -> 6 nodes
    assert_eq!(s.scale_out.steps.last().unwrap().adjustment, 6);
    assert_eq!(s.reasoning.len(), 7);
    let json = cp.to_json();
    assert_eq!(json["sizing"]["max_nodes"], 27);
    assert_eq!(
        json["plan"]["resource_changes"].as_array().unwrap().len(),
        5
    );
    assert!(cp.to_text().contains("desired 8"));

    let p = Arc::new(InMemoryProvider::new());
    let rep = apply(&cp.plan, State::new(), p.clone(), &ApplyOptions::default())
        .await
        .unwrap();
    assert!(rep.is_success());
    let st = rep.state;
    let pol_arn = &st.resources["aws_autoscaling_policy.app_scale_out"].attributes["arn"];
    assert_eq!(
        st.resources["aws_cloudwatch_metric_alarm.app_scale_out"].attributes["alarm_actions"],
        json!([pol_arn])
    );
    assert_eq!(
        st.resources["aws_autoscaling_policy.app_scale_in"].attributes["autoscaling_group_name"],
        json!("app")
    );
    assert!(plan(&cp.config, &st).unwrap().is_empty());

    // A higher forecast updates the group in place (sizes are not force-new).
    let up = LoadForecast::new(
        "up",
        f.timestamps().to_vec(),
        f.mean().iter().map(|x| x * 1.5).collect(),
        f.lower().iter().map(|x| x * 1.5).collect(),
        f.upper().iter().map(|x| x * 1.5).collect(),
    )
    .unwrap();
    let cp2 = plan_capacity(&up, &params, &ScalingGroup::default(), &st).unwrap();
    let g = cp2.plan.change("aws_autoscaling_group.app").unwrap();
    assert_eq!(g.action, aiops_iac::Action::Update);
    assert_eq!(g.changed, ["desired_capacity", "max_size", "min_size"]);
}
