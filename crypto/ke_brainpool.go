package crypto

import (
	"fmt"
	"io"
	"sync"
)

// The Brainpool groups of IKEv2 (RFC 6954): the "r1" curves of RFC 5639 on
// ecp_generic.go. Like the NIST groups (RFC 5903), the Key Exchange Data is
// x || y and the shared secret the x coordinate of the common point.

var (
	brainpoolOnce   sync.Once
	brainpoolCurves map[KeyExchangeMethod]*ecpCurve
)

// brainpool returns the curve of m, built on first use.
func brainpool(m KeyExchangeMethod) *ecpCurve {
	brainpoolOnce.Do(func() {
		// p, a, b, x(G), y(G), n (RFC 5639 §3.2 to §3.7)
		brainpoolCurves = map[KeyExchangeMethod]*ecpCurve{
			ECP224BP: newECPCurve(
				"D7C134AA264366862A18302575D1D787B09F075797DA89F57EC8C0FF",
				"68A5E62CA9CE6C1C299803A6C1530B514E182AD8B0042A59CAD29F43",
				"2580F63CCFE44138870713B1A92369E33E2135D266DBB372386C400B",
				"0D9029AD2C7E5CF4340823B2A87DC68C9E4CE3174C1E6EFDEE12C07D",
				"58AA56F772C0726F24C6B89E4ECDAC24354B9E99CAA3F6D3761402CD",
				"D7C134AA264366862A18302575D0FB98D116BC4B6DDEBCA3A5A7939F"),
			ECP256BP: newECPCurve(
				"A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377",
				"7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9",
				"26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6",
				"8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262",
				"547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997",
				"A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7"),
			ECP384BP: newECPCurve(
				"8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B412B1DA197FB71123ACD3A729901D1A71874700133107EC53",
				"7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F8AA5814A503AD4EB04A8C7DD22CE2826",
				"04A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D57CB4390295DBC9943AB78696FA504C11",
				"1D1C64F068CF45FFA2A63A81B7C13F6B8847A3E77EF14FE3DB7FCAFE0CBD10E8E826E03436D646AAEF87B2E247D4AF1E",
				"8ABE1D7520F9C2A45CB1EB8E95CFD55262B70B29FEEC5864E19C054FF99129280E4646217791811142820341263C5315",
				"8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B31F166E6CAC0425A7CF3AB6AF6B7FC3103B883202E9046565"),
			ECP512BP: newECPCurve(
				"AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA703308717D4D9B009BC66842AECDA12AE6A380E62881FF2F2D82C68528AA6056583A48F3",
				"7830A3318B603B89E2327145AC234CC594CBDD8D3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CA",
				"3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CADC083E67984050B75EBAE5DD2809BD638016F723",
				"81AEE4BDD82ED9645A21322E9C4C6A9385ED9F70B5D916C1B43B62EEF4D0098EFF3B1F78E2D0D48D50D1687B93B97D5F7C6D5047406A5E688B352209BCB9F822",
				"7DDE385D566332ECC0EABFA9CF7822FDF209F70024A57B1AA000C55B881F8111B2DCDE494A5F485E5BCA4BD88A2763AED1CA2B2FA8F0540678CD1E0F3AD80892",
				"AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA70330870553E5C414CA92619418661197FAC10471DB1D381085DDADDB58796829CA90069"),
		}
	})
	return brainpoolCurves[m]
}

// ecpKE is a key exchange on an ecpCurve.
type ecpKE struct {
	method KeyExchangeMethod
	curve  *ecpCurve
	priv   []byte // the scalar, big-endian
	public []byte
}

func newBrainpool(m KeyExchangeMethod, rand io.Reader) (KeyExchange, error) {
	c := brainpool(m)
	k := &ecpKE{method: m, curve: c, priv: make([]byte, c.f.size)}
	// The orders have as many bits as the primes, and are close to the
	// top of that range: rejection sampling needs few draws.
	for {
		if err := readScalar(rand, k.priv); err != nil {
			return nil, err
		}
		if c.validScalar(k.priv) {
			break
		}
	}
	var pub point
	c.scalarMult(&pub, &c.g, k.priv)
	x, y, _ := c.affine(&pub) // 0 < k < n: never the point at infinity
	k.public = append(x, y...)
	return k, nil
}

func (k *ecpKE) Method() KeyExchangeMethod { return k.method }
func (k *ecpKE) PublicValue() []byte       { return append([]byte(nil), k.public...) }

func (k *ecpKE) SharedSecret(peer []byte) ([]byte, error) {
	q, err := brainpoolPeer(k.method, peer)
	if err != nil {
		return nil, err
	}
	var s point
	k.curve.scalarMult(&s, &q, k.priv)
	x, _, ok := k.curve.affine(&s)
	if !ok {
		return nil, fmt.Errorf("%w: %v shared point at infinity", ErrInvalidPublicValue, k.method)
	}
	return x, nil
}

// brainpoolPeer decodes a peer's x || y and checks that it is on the curve.
func brainpoolPeer(m KeyExchangeMethod, value []byte) (point, error) {
	if err := checkSize(m, value); err != nil {
		return point{}, err
	}
	q, err := brainpool(m).decodePoint(value)
	if err != nil {
		return q, fmt.Errorf("%w: %v %v", ErrInvalidPublicValue, m, err)
	}
	return q, nil
}

func validateBrainpool(m KeyExchangeMethod, value []byte) error {
	_, err := brainpoolPeer(m, value)
	return err
}
