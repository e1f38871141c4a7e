//! Upload clients for signature servers and Nexus RAW repositories. OWNER: helper C (server).
