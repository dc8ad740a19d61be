//! The simulated iCIMS tenant: HTTP API, data generator, faults, SFTP export.
