//! A JSON reader that reproduces Go `encoding/json` syntax errors and containers/image's "paranoid"
//! object decoding (duplicate and unknown keys refused) with their exact messages.
//!
//! OWNER: helper "policy-json".
