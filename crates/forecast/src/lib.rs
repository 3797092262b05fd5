//! Forecasting with prediction intervals on top of augurs, and failure probability from forecasts
//!
//! (Under construction in this release.)
