//! Scenario tests of the keeper protocol: a fake store and a fake Slack driven in a loop on
//! simulated time, no sockets, no sleeping.
