// Package load_tester is strongSwan's load-tester plugin
// (charon.plugins.load-tester): a config backend that makes a fresh
// initiator config "load-test" each time one is asked for (with its own
// identity, c<n>-r1.strongswan.org for PSK), initiator jobs that start
// iterations of IKE_SAs at a given pace, a listener that counts them and
// can delete each once established or stop the daemon when all are up,
// a PSK for every identity, and a no-op kernel interface (fake_kernel)
// so that only IKE is measured. The same daemon, with initiators = 0, is
// the responder the generated configs point at.
//
// It serves the 1000 road warriors of testing/tests/load and the scale
// work (issue 17): the options are charon's, including those not every
// test uses (proposals, modes, traffic selectors, virtual IPs and pools,
// rekey and DPD times). Certificate authentication (charon's default
// "pubkey", with the plugin's own CA) waits for goswan's certificates;
// until then the daemon refuses to start the plugin with it.
package load_tester
