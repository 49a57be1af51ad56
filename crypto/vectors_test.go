package crypto

// Known-answer vectors from the RFCs and specifications named in each
// entry, transcribed as hex.
//
// The published test cases reuse one key, IV or plaintext across many cases
// by design (the GCM specification's cases 2 to 18 share one key and one
// plaintext, RFC 7634 reuses RFC 7539's, the XCBC drafts one message), so
// entries here repeat each other on purpose: each is transcribed whole, as its
// source prints it, so that any one entry can be checked against its source
// without chasing shared constants.

type macVector struct {
	source         string
	prf            PRFAlgorithm
	integ          IntegrityAlgorithm
	key, data, out string
}

var macVectors = []macVector{
	{source: "draft-kanno-ipsecme-camellia-xcbc test case 1", integ: AuthCamelliaXCBC96,
		key:  "000102030405060708090a0b0c0d0e0f",
		data: "000102030405060708090a0b0c0d0e0f10111213",
		out:  "3d042dd4e7bc791cee320415"},
	{source: "draft-kanno-ipsecme-camellia-xcbc test case 1", prf: PRFCamellia128XCBC,
		key:  "000102030405060708090a0b0c0d0e0f",
		data: "000102030405060708090a0b0c0d0e0f10111213",
		out:  "3d042dd4e7bc791cee320415c5e326d6"},
	{source: "draft-kanno-ipsecme-camellia-xcbc test case 2 (short key)", prf: PRFCamellia128XCBC,
		key:  "00010203040506070809",
		data: "000102030405060708090a0b0c0d0e0f10111213",
		out:  "b916b423420a906cd7d7b672a24e976f"},
	{source: "draft-kanno-ipsecme-camellia-xcbc test case 3 (long key)", prf: PRFCamellia128XCBC,
		key:  "000102030405060708090a0b0c0d0e0fedcb",
		data: "000102030405060708090a0b0c0d0e0f10111213",
		out:  "b97146369d31940ff57a0ddf2233c1d2"},
	{source: "RFC 3566 §4.6 / RFC 4434 §4", integ: AuthAESXCBC96,
		key:  "000102030405060708090a0b0c0d0e0f",
		data: "",
		out:  "75f0251d528ac01c4573dfd5"},
	{source: "RFC 3566 §4.6 / RFC 4434 §4", prf: PRFAES128XCBC,
		key:  "000102030405060708090a0b0c0d0e0f",
		data: "",
		out:  "75f0251d528ac01c4573dfd584d79f29"},
	{source: "RFC 3566 §4.6 / RFC 4434 §4", integ: AuthAESXCBC96,
		key:  "000102030405060708090a0b0c0d0e0f",
		data: "000102",
		out:  "5b376580ae2f19afe7219cee"},
	{source: "RFC 3566 §4.6 / RFC 4434 §4", prf: PRFAES128XCBC,
		key:  "000102030405060708090a0b0c0d0e0f",
		data: "000102",
		out:  "5b376580ae2f19afe7219ceef172756f"},
	{source: "RFC 3566 §4.6 / RFC 4434 §4", integ: AuthAESXCBC96,
		key:  "000102030405060708090a0b0c0d0e0f",
		data: "000102030405060708090a0b0c0d0e0f",
		out:  "d2a246fa349b68a79998a439"},
	{source: "RFC 3566 §4.6 / RFC 4434 §4", prf: PRFAES128XCBC,
		key:  "000102030405060708090a0b0c0d0e0f",
		data: "000102030405060708090a0b0c0d0e0f",
		out:  "d2a246fa349b68a79998a4394ff7a263"},
	{source: "RFC 3566 §4.6 / RFC 4434 §4", integ: AuthAESXCBC96,
		key:  "000102030405060708090a0b0c0d0e0f",
		data: "000102030405060708090a0b0c0d0e0f10111213",
		out:  "47f51b4564966215b8985c63"},
	{source: "RFC 3566 §4.6 / RFC 4434 §4", prf: PRFAES128XCBC,
		key:  "000102030405060708090a0b0c0d0e0f",
		data: "000102030405060708090a0b0c0d0e0f10111213",
		out:  "47f51b4564966215b8985c63055ed308"},
	{source: "RFC 3566 §4.6 / RFC 4434 §4", integ: AuthAESXCBC96,
		key:  "000102030405060708090a0b0c0d0e0f",
		data: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		out:  "f54f0ec8d2b9f3d36807734b"},
	{source: "RFC 3566 §4.6 / RFC 4434 §4", prf: PRFAES128XCBC,
		key:  "000102030405060708090a0b0c0d0e0f",
		data: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		out:  "f54f0ec8d2b9f3d36807734bd5283fd4"},
	{source: "RFC 3566 §4.6 / RFC 4434 §4", prf: PRFAES128XCBC,
		key:  "00010203040506070809",
		data: "000102030405060708090a0b0c0d0e0f10111213",
		out:  "0fa087af7d866e7653434e602fdde835"},
	{source: "RFC 3566 §4.6 / RFC 4434 §4", prf: PRFAES128XCBC,
		key:  "000102030405060708090a0b0c0d0e0fedcb",
		data: "000102030405060708090a0b0c0d0e0f10111213",
		out:  "8cd3c93ae598a9803006ffb67c40e9e4"},
	{source: "RFC 4493 §4 / RFC 4494 §4 / RFC 4615 §4", prf: PRFAES128CMAC,
		key:  "2b7e151628aed2a6abf7158809cf4f3c",
		data: "",
		out:  "bb1d6929e95937287fa37d129b756746"},
	{source: "RFC 4493 §4 / RFC 4494 §4 / RFC 4615 §4", prf: PRFAES128CMAC,
		key:  "2b7e151628aed2a6abf7158809cf4f3c",
		data: "6bc1bee22e409f96e93d7e117393172a",
		out:  "070a16b46b4d4144f79bdd9dd04a287c"},
	{source: "RFC 4493 §4 / RFC 4494 §4 / RFC 4615 §4", prf: PRFAES128CMAC,
		key:  "2b7e151628aed2a6abf7158809cf4f3c",
		data: "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411",
		out:  "dfa66747de9ae63030ca32611497c827"},
	{source: "RFC 4493 §4 / RFC 4494 §4 / RFC 4615 §4", prf: PRFAES128CMAC,
		key: "2b7e151628aed2a6abf7158809cf4f3c",
		data: "" +
			"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52ef" +
			"f69f2445df4f9b17ad2b417be66c3710",
		out: "51f0bebf7e3b9d92fc49741779363cfe"},
	{source: "RFC 4493 §4 / RFC 4494 §4 / RFC 4615 §4", prf: PRFAES128CMAC,
		key:  "000102030405060708090a0b0c0d0e0fedcb",
		data: "000102030405060708090a0b0c0d0e0f10111213",
		out:  "84a348a4a45d235babfffc0d2b4da09a"},
	{source: "RFC 4493 §4 / RFC 4494 §4 / RFC 4615 §4", prf: PRFAES128CMAC,
		key:  "000102030405060708090a0b0c0d0e0f",
		data: "000102030405060708090a0b0c0d0e0f10111213",
		out:  "980ae87b5f4c9c5214f5b6a8455e4c2d"},
	{source: "RFC 4493 §4 / RFC 4494 §4 / RFC 4615 §4", prf: PRFAES128CMAC,
		key:  "00010203040506070809",
		data: "000102030405060708090a0b0c0d0e0f10111213",
		out:  "290d9e112edb09ee141fcf64c0b72f3d"},
	{source: "RFC 4493 §4 / RFC 4494 §4 / RFC 4615 §4", integ: AuthAESCMAC96,
		key:  "2b7e151628aed2a6abf7158809cf4f3c",
		data: "",
		out:  "bb1d6929e95937287fa37d12"},
	{source: "RFC 4493 §4 / RFC 4494 §4 / RFC 4615 §4", integ: AuthAESCMAC96,
		key:  "2b7e151628aed2a6abf7158809cf4f3c",
		data: "6bc1bee22e409f96e93d7e117393172a",
		out:  "070a16b46b4d4144f79bdd9d"},
	{source: "RFC 4493 §4 / RFC 4494 §4 / RFC 4615 §4", integ: AuthAESCMAC96,
		key:  "2b7e151628aed2a6abf7158809cf4f3c",
		data: "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411",
		out:  "dfa66747de9ae63030ca3261"},
	{source: "RFC 4493 §4 / RFC 4494 §4 / RFC 4615 §4", integ: AuthAESCMAC96,
		key: "2b7e151628aed2a6abf7158809cf4f3c",
		data: "" +
			"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52ef" +
			"f69f2445df4f9b17ad2b417be66c3710",
		out: "51f0bebf7e3b9d92fc497417"},
	{source: "RFC 4868 §2.7", prf: PRFHMACSHA2_256,
		key:  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		data: "4869205468657265",
		out:  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
	{source: "RFC 4868 §2.7", integ: AuthHMACSHA2_256_128,
		key:  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		data: "4869205468657265",
		out:  "198a607eb44bfbc69903a0f1cf2bbdc5"},
	{source: "RFC 4868 §2.7", prf: PRFHMACSHA2_384,
		key:  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		data: "4869205468657265",
		out:  "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"},
	{source: "RFC 4868 §2.7", integ: AuthHMACSHA2_384_192,
		key:  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		data: "4869205468657265",
		out:  "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973"},
	{source: "RFC 4868 §2.7", prf: PRFHMACSHA2_512,
		key:  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		data: "4869205468657265",
		out: "" +
			"87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4" +
			"be9d914eeb61f1702e696c203a126854"},
	{source: "RFC 4868 §2.7", integ: AuthHMACSHA2_512_256,
		key: "" +
			"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b" +
			"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		data: "4869205468657265",
		out:  "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8"},
	{source: "RFC 4868 §2.7", prf: PRFHMACSHA2_256,
		key:  "4a656665",
		data: "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		out:  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	{source: "RFC 4868 §2.7", integ: AuthHMACSHA2_256_128,
		key:  "4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665",
		data: "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		out:  "167f928588c5cc2eef8e3093caa0e87c"},
	{source: "RFC 4868 §2.7", prf: PRFHMACSHA2_384,
		key:  "4a656665",
		data: "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		out:  "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"},
	{source: "RFC 4868 §2.7", integ: AuthHMACSHA2_384_192,
		key:  "4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665",
		data: "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		out:  "2c7353974f1842fd66d53c452ca42122b28c0b594cfb184d"},
	{source: "RFC 4868 §2.7", prf: PRFHMACSHA2_512,
		key:  "4a656665",
		data: "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		out: "" +
			"164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fd" +
			"caeab1a34d4a6b4b636e070a38bce737"},
	{source: "RFC 4868 §2.7", integ: AuthHMACSHA2_512_256,
		key: "" +
			"4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665" +
			"4a6566654a6566654a6566654a656665",
		data: "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		out:  "cb370917ae8a7ce28cfd1d8f4705d6141c173b2a9362c15df235dfb251b15454"},
	{source: "RFC 4868 §2.7", prf: PRFHMACSHA2_256,
		key: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		data: "" +
			"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd" +
			"dddd",
		out: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
	{source: "RFC 4868 §2.7", integ: AuthHMACSHA2_256_128,
		key: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		data: "" +
			"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd" +
			"dddd",
		out: "cdcb1220d1ecccea91e53aba3092f962"},
	{source: "RFC 4868 §2.7", prf: PRFHMACSHA2_384,
		key: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		data: "" +
			"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd" +
			"dddd",
		out: "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27"},
	{source: "RFC 4868 §2.7", integ: AuthHMACSHA2_384_192,
		key: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		data: "" +
			"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd" +
			"dddd",
		out: "809f439be00274321d4a538652164b53554a508184a0c316"},
	{source: "RFC 4868 §2.7", prf: PRFHMACSHA2_512,
		key: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		data: "" +
			"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd" +
			"dddd",
		out: "" +
			"fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807" +
			"b946a337bee8942674278859e13292fb"},
	{source: "RFC 4868 §2.7", integ: AuthHMACSHA2_512_256,
		key: "" +
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" +
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		data: "" +
			"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd" +
			"dddd",
		out: "2ee7acd783624ca9398710f3ee05ae41b9f9b0510c87e49e586cc9bf961733d8"},
	{source: "RFC 4868 §2.7", prf: PRFHMACSHA2_256,
		key: "0102030405060708090a0b0c0d0e0f10111213141516171819",
		data: "" +
			"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd" +
			"cdcd",
		out: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
	{source: "RFC 4868 §2.7", prf: PRFHMACSHA2_384,
		key: "0102030405060708090a0b0c0d0e0f10111213141516171819",
		data: "" +
			"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd" +
			"cdcd",
		out: "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb"},
	{source: "RFC 4868 §2.7", prf: PRFHMACSHA2_512,
		key: "0102030405060708090a0b0c0d0e0f10111213141516171819",
		data: "" +
			"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd" +
			"cdcd",
		out: "" +
			"b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063" +
			"a5f19741120c4f2de2adebeb10a298dd"},
	{source: "RFC 4868 §2.7", prf: PRFHMACSHA2_256,
		key: "" +
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" +
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" +
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		data: "" +
			"54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579" +
			"204669727374",
		out: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
	{source: "RFC 4868 §2.7", prf: PRFHMACSHA2_384,
		key: "" +
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" +
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" +
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		data: "" +
			"54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579" +
			"204669727374",
		out: "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952"},
	{source: "RFC 4868 §2.7", prf: PRFHMACSHA2_512,
		key: "" +
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" +
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" +
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		data: "" +
			"54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579" +
			"204669727374",
		out: "" +
			"80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e52" +
			"95e64f73f63f0aec8b915a985d786598"},
	{source: "RFC 4868 §2.7", prf: PRFHMACSHA2_256,
		key: "" +
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" +
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" +
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		data: "" +
			"5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b65" +
			"7920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565" +
			"647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c" +
			"676f726974686d2e",
		out: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
	{source: "RFC 4868 §2.7", prf: PRFHMACSHA2_384,
		key: "" +
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" +
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" +
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		data: "" +
			"5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b65" +
			"7920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565" +
			"647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c" +
			"676f726974686d2e",
		out: "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110c46523e"},
	{source: "RFC 4868 §2.7", prf: PRFHMACSHA2_512,
		key: "" +
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" +
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" +
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		data: "" +
			"5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b65" +
			"7920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565" +
			"647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c" +
			"676f726974686d2e",
		out: "" +
			"e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15" +
			"134676fb6de0446065c97440fa8c6a58"},
}

type aeadVector struct {
	source                      string
	alg                         EncryptionAlgorithm
	keyBits                     int
	key, iv, aad, plain, sealed string // key includes the salt, sealed the ICV
}

var aeadVectors = []aeadVector{
	{source: "CAVS (Linux testmgr): 11-byte nonce, which neither RFC 3610 nor RFC 4309 has", alg: EncrAESCCM16, keyBits: 128,
		key: "83ac5466c2ebe5052e01d1fc5d82662e96ac59",
		iv:  "3007a1e2a2c75524", aad: "",
		plain:  "19c881f6e986ff930b7867e5bbb7fc6e8377b3a60c8c9f9c352eade062f991a1",
		sealed: "ab6fe1691d1999a892a0c46f7ee28bb170bb8ca64c6e978a572bbe5d98a6b132da24ead9a13998fda4bed9f21a6d22a8"},
	{source: "CAVS (Linux testmgr): 11-byte nonce, which neither RFC 3610 nor RFC 4309 has", alg: EncrAESCCM16, keyBits: 128,
		key: "1e2c7e01419aefc00d58966e5ca24bd34fa319",
		iv:  "d3015ad830601556", aad: "dae6289c452dfd635eda4cb6e6fcf9b70c56cbe4e0057ae10a630978bc2c55de",
		plain:  "87a336fd96b39378a92863ba12a31485571e06c97b21ef767f387e8e29a43e7e",
		sealed: "8a1e11f0026be219fc70c46d8eb799abc54ba2acd3f348ff3bb5ce53efdebb02a986156c13feda0a22b8293dd8399a23"},
	{source: "CAVS (Linux testmgr): 11-byte nonce, which neither RFC 3610 nor RFC 4309 has", alg: EncrAESCCM16, keyBits: 192,
		key: "f46bc27562feb4e1a3f0ffdd4e4b1275531473668d88f680a02035",
		iv:  "26f2218d5020dae2", aad: "5b9e1367025eefc16cf9d71e528f7a47e9d4cf20146ef02dd89e2b56102356e7",
		plain:  "",
		sealed: "36ea7a7008dc6abcad0c7a63f661fd9b"},
	{source: "CAVS (Linux testmgr): 11-byte nonce, which neither RFC 3610 nor RFC 4309 has", alg: EncrAESCCM16, keyBits: 192,
		key: "56df5c8f263f0e42ef7ad3cefc846062cab440af5fc9c901d63c8c",
		iv:  "8684b6cdef092e94", aad: "0265783ce9213091b1b9da769a786d95f28832a3f250cb4ce300736984698779",
		plain:  "9fd2024b5249313c43693a2d8e70ad7ee0e54609808913b28c8bd93f86fbb56b",
		sealed: "39df7c3c5a29b9625d51c216d8bd069f9b6a0970c15183c266881d4f9adae01ec7791158e56b20407aea46428be46fe1"},
	{source: "CAVS (Linux testmgr): 11-byte nonce, which neither RFC 3610 nor RFC 4309 has", alg: EncrAESCCM8, keyBits: 256,
		key: "e08d997160d7971abd0199d58adf713ad3df244b5e3d4b4e307ab9d8530a5e2b1e2991",
		iv:  "ad8ec1530acf2dbe", aad: "19b61f57c4f3f08b782b9402290f42276b75cb9834087e79e43e490d848b2287",
		plain:  "e1d9d813eb3a753f9dbd5f66bedcbb66bf1799624a39271f1ddc24ae192f984c",
		sealed: "19b86133452b43966f51d020307d9bc6263df8c96516a89ff0621734f21e8d754e13ccc0c32a542d"},
	{source: "CAVS (Linux testmgr): 11-byte nonce, which neither RFC 3610 nor RFC 4309 has", alg: EncrAESCCM12, keyBits: 256,
		key: "7cc8183b8d99e07c4541b8bd5ca7c2328ab80259a4fea92c09759a9b3c9b2739f9d94e",
		iv:  "63b53d9d43f61e50", aad: "57f56b8b575c3d3b1302010c834c96358ed639cf7d149b94b03936e68f57e013",
		plain:  "3b6c2936b6ef07a68372074fcffa66895fcab1bad58f2c2730db750993d465e4",
		sealed: "b0885a33aae5c71d8523c7c62ff41e3dcc63442507784f9e96b888ebbc481f0639af39acd84a80397b728af7"},
	{source: "CAVS (Linux testmgr): 11-byte nonce, which neither RFC 3610 nor RFC 4309 has", alg: EncrAESCCM16, keyBits: 256,
		key: "abd0e9330726e5838c7695d4b6dcf346f98fade3021383773fb0f1a1a1220f2b24a78b",
		iv:  "07cbcc0ee633bff5", aad: "d4db301d03fefd5f87d48cb6b6f17a5dab90658d8eca4d4f160c40904bc73673",
		plain:  "f5c67d48c1b7e692975acac4a96df93d6cdebcf190ea6ab2358636af5cfe4b3a",
		sealed: "836f408772cfc113efbb8021046c5809071bfcdfc03f5bc7e079a86e717c3fcf5cdab233e513e20d74d1efb50f3ab5f8"},
	{source: "CAVS (Linux testmgr): 11-byte nonce, which neither RFC 3610 nor RFC 4309 has", alg: EncrAESCCM8, keyBits: 128,
		key: "ab2f8a74b71cd2b1ff802e487d82f8b9af9487",
		iv:  "783582817f889468", aad: "",
		plain:  "",
		sealed: "413cb88773cbf3f3"},
	{source: "CAVS (Linux testmgr): 11-byte nonce, which neither RFC 3610 nor RFC 4309 has", alg: EncrAESCCM8, keyBits: 192,
		key: "39bba7be59979e73a2bc6b98d7757fe3a448933926714ac6ee4983",
		iv:  "e9a9ffe957bafd9e", aad: "44a62c05e9e143b1587cf25c6d390a64a4f01305d177996711c4c6db00563661",
		plain:  "",
		sealed: "7199faf44412689b"},
	{source: "CAVS (Linux testmgr): 11-byte nonce, which neither RFC 3610 nor RFC 4309 has", alg: EncrAESCCM8, keyBits: 256,
		key: "a44b54290ab86d015b802acf25c4b75c202cad30c22b41fb0e85bc33ad0f2bffee4983",
		iv:  "e9a9ffe957bafd9e", aad: "",
		plain:  "",
		sealed: "1fb88fa3dd5400f2"},
	{source: "CAVS (Linux testmgr): 11-byte nonce, which neither RFC 3610 nor RFC 4309 has", alg: EncrAESCCM8, keyBits: 192,
		key: "585da096651a04d796e5c568aa9535e029a0ba9e4878d1baee4983",
		iv:  "e9a9ffe957bafd9e", aad: "44a62c05e9e143b1587cf25c6d390a64a4f01305d177996711c4c6db00563661",
		plain:  "85346642c8920f3658e06b913c985cbb0a85cc02ad7a96e96543a4c30fdc5581",
		sealed: "fbe55d34bee5e8e75aef2fbf1f7fd4b266ca611e967a61b31c164552ba049c9fb1d240bc527c6fb1"},
	{source: "RFC 7539 §2.8.2, A.5 / RFC 7634 Appendix A, B", alg: EncrChaCha20Poly1305, keyBits: 256,
		key: "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f07000000",
		iv:  "4041424344454647",
		aad: "50515253c0c1c2c3c4c5c6c7",
		plain: "" +
			"4c616469657320616e642047656e746c656d656e206f662074686520636c617373206f66202739393a20496620492063" +
			"6f756c64206f6666657220796f75206f6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73" +
			"637265656e20776f756c642062652069742e",
		sealed: "" +
			"d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b" +
			"1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc" +
			"3ff4def08e4b7a9de576d26586cec64b61161ae10b594f09e26a7e902ecbd0600691"},
	{source: "RFC 7539 §2.8.2, A.5 / RFC 7634 Appendix A, B", alg: EncrChaCha20Poly1305, keyBits: 256,
		key: "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c000000000",
		iv:  "0102030405060708",
		aad: "f33388860000000000004e91",
		plain: "" +
			"496e7465726e65742d4472616674732061726520647261667420646f63756d656e74732076616c696420666f72206120" +
			"6d6178696d756d206f6620736978206d6f6e74687320616e64206d617920626520757064617465642c207265706c6163" +
			"65642c206f72206f62736f6c65746564206279206f7468657220646f63756d656e747320617420616e792074696d652e" +
			"20497420697320696e617070726f70726961746520746f2075736520496e7465726e65742d4472616674732061732072" +
			"65666572656e6365206d6174657269616c206f7220746f2063697465207468656d206f74686572207468616e20617320" +
			"2fe2809c776f726b20696e2070726f67726573732e2fe2809d",
		sealed: "" +
			"64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb24c6cfc18755d43eea09ee94e382d26b0" +
			"bdb7b73c321b0100d4f03b7f355894cf332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855" +
			"9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4b9166c767b804d46a59b5216cde7a4e9" +
			"9040c5a40433225ee282a1b0a06c523eaf4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a" +
			"0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a1049e617d91d361094fa68f0ff77987130" +
			"305beaba2eda04df997b714d6c6f2c29a6ad5cb4022b02709beead9d67890cbb22392336fea1851f38"},
	{source: "RFC 7539 §2.8.2, A.5 / RFC 7634 Appendix A, B", alg: EncrChaCha20Poly1305, keyBits: 256,
		key: "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3",
		iv:  "1011121314151617",
		aad: "0102030400000005",
		plain: "" +
			"45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec100007362708090a0b0c0d0e0f10111213" +
			"1415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363701020204",
		sealed: "" +
			"24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c614ee8099d52844eb61aa95dfab4c02f7" +
			"2aa71e7c4c4f64c9befe2facc638e8f3cbec163fac469b502773f6fb94e664da9165b82829f641e076aaa8266b7fb0f7" +
			"b11b369907e1ad43"},
	{source: "RFC 7539 §2.8.2, A.5 / RFC 7634 Appendix A, B", alg: EncrChaCha20Poly1305, keyBits: 256,
		key:    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3",
		iv:     "1011121314151617",
		aad:    "c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d72e202500000000090000004529000029",
		plain:  "0000000c000040010000000a00",
		sealed: "610394701f8d017f7c129248896b71bfe25236efd7cdc67066906315b2"},
	{source: "GCM specification (McGrew, Viega) test cases, salt || IV split as RFC 4106", alg: EncrAESGCM16, keyBits: 128,
		key:    "0000000000000000000000000000000000000000",
		iv:     "0000000000000000",
		aad:    "",
		plain:  "",
		sealed: "58e2fccefa7e3061367f1d57a4e7455a"},
	{source: "GCM specification (McGrew, Viega) test cases, salt || IV split as RFC 4106", alg: EncrAESGCM16, keyBits: 128,
		key:    "0000000000000000000000000000000000000000",
		iv:     "0000000000000000",
		aad:    "",
		plain:  "00000000000000000000000000000000",
		sealed: "0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf"},
	{source: "GCM specification (McGrew, Viega) test cases, salt || IV split as RFC 4106", alg: EncrAESGCM8, keyBits: 128,
		key: "feffe9928665731c6d6a8f9467308308cafebabe",
		iv:  "facedbaddecaf888",
		aad: "",
		plain: "" +
			"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525" +
			"b16aedf5aa0de657ba637b391aafd255",
		sealed: "" +
			"42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa05" +
			"1ba30b396a0aac973d58e091473f59854d5c2af327cd64a6"},
	{source: "GCM specification (McGrew, Viega) test cases, salt || IV split as RFC 4106", alg: EncrAESGCM12, keyBits: 128,
		key: "feffe9928665731c6d6a8f9467308308cafebabe",
		iv:  "facedbaddecaf888",
		aad: "",
		plain: "" +
			"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525" +
			"b16aedf5aa0de657ba637b391aafd255",
		sealed: "" +
			"42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa05" +
			"1ba30b396a0aac973d58e091473f59854d5c2af327cd64a62cf35abd"},
	{source: "GCM specification (McGrew, Viega) test cases, salt || IV split as RFC 4106", alg: EncrAESGCM16, keyBits: 128,
		key: "feffe9928665731c6d6a8f9467308308cafebabe",
		iv:  "facedbaddecaf888",
		aad: "",
		plain: "" +
			"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525" +
			"b16aedf5aa0de657ba637b391aafd255",
		sealed: "" +
			"42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa05" +
			"1ba30b396a0aac973d58e091473f59854d5c2af327cd64a62cf35abd2ba6fab4"},
	{source: "GCM specification (McGrew, Viega) test cases, salt || IV split as RFC 4106", alg: EncrAESGCM16, keyBits: 128,
		key: "feffe9928665731c6d6a8f9467308308cafebabe",
		iv:  "facedbaddecaf888",
		aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		plain: "" +
			"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525" +
			"b16aedf5aa0de657ba637b39",
		sealed: "" +
			"42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa05" +
			"1ba30b396a0aac973d58e0915bc94fbc3221a5db94fae95ae7121a47"},
	{source: "GCM specification (McGrew, Viega) test cases, salt || IV split as RFC 4106", alg: EncrAESGCM16, keyBits: 192,
		key:    "00000000000000000000000000000000000000000000000000000000",
		iv:     "0000000000000000",
		aad:    "",
		plain:  "",
		sealed: "cd33b28ac773f74ba00ed1f312572435"},
	{source: "GCM specification (McGrew, Viega) test cases, salt || IV split as RFC 4106", alg: EncrAESGCM16, keyBits: 192,
		key:    "00000000000000000000000000000000000000000000000000000000",
		iv:     "0000000000000000",
		aad:    "",
		plain:  "00000000000000000000000000000000",
		sealed: "98e7247c07f0fe411c267e4384b0f6002ff58d80033927ab8ef4d4587514f0fb"},
	{source: "GCM specification (McGrew, Viega) test cases, salt || IV split as RFC 4106", alg: EncrAESGCM16, keyBits: 192,
		key: "feffe9928665731c6d6a8f9467308308feffe9928665731ccafebabe",
		iv:  "facedbaddecaf888",
		aad: "",
		plain: "" +
			"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525" +
			"b16aedf5aa0de657ba637b391aafd255",
		sealed: "" +
			"3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c7d773d00c144c525ac619d18c84a3f47" +
			"18e2448b2fe324d9ccda2710acade2569924a7c8587336bfb118024db8674a14"},
	{source: "GCM specification (McGrew, Viega) test cases, salt || IV split as RFC 4106", alg: EncrAESGCM16, keyBits: 192,
		key: "feffe9928665731c6d6a8f9467308308feffe9928665731ccafebabe",
		iv:  "facedbaddecaf888",
		aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		plain: "" +
			"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525" +
			"b16aedf5aa0de657ba637b39",
		sealed: "" +
			"3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c7d773d00c144c525ac619d18c84a3f47" +
			"18e2448b2fe324d9ccda27102519498e80f1478f37ba55bd6d27618c"},
	{source: "GCM specification (McGrew, Viega) test cases, salt || IV split as RFC 4106", alg: EncrAESGCM16, keyBits: 256,
		key:    "000000000000000000000000000000000000000000000000000000000000000000000000",
		iv:     "0000000000000000",
		aad:    "",
		plain:  "",
		sealed: "530f8afbc74536b9a963b4f1c4cb738b"},
	{source: "GCM specification (McGrew, Viega) test cases, salt || IV split as RFC 4106", alg: EncrAESGCM16, keyBits: 256,
		key:    "000000000000000000000000000000000000000000000000000000000000000000000000",
		iv:     "0000000000000000",
		aad:    "",
		plain:  "00000000000000000000000000000000",
		sealed: "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"},
	{source: "GCM specification (McGrew, Viega) test cases, salt || IV split as RFC 4106", alg: EncrAESGCM16, keyBits: 256,
		key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308cafebabe",
		iv:  "facedbaddecaf888",
		aad: "",
		plain: "" +
			"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525" +
			"b16aedf5aa0de657ba637b391aafd255",
		sealed: "" +
			"522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838" +
			"c5f61e6393ba7a0abcc9f662898015adb094dac5d93471bdec1a502270e3cc6c"},
	{source: "GCM specification (McGrew, Viega) test cases, salt || IV split as RFC 4106", alg: EncrAESGCM16, keyBits: 256,
		key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308cafebabe",
		iv:  "facedbaddecaf888",
		aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		plain: "" +
			"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525" +
			"b16aedf5aa0de657ba637b39",
		sealed: "" +
			"522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838" +
			"c5f61e6393ba7a0abcc9f66276fc6ece0f4e1768cddf8853bb2d551b"},
	{source: "GCM specification (McGrew, Viega) test cases, salt || IV split as RFC 4106", alg: EncrAESGCM8, keyBits: 192,
		key: "feffe9928665731c6d6a8f9467308308feffe9928665731ccafebabe",
		iv:  "facedbaddecaf888",
		aad: "",
		plain: "" +
			"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525" +
			"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0d",
		sealed: "" +
			"3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c7d773d00c144c525ac619d18c84a3f47" +
			"b5b4a5eb1086cbdd5976520dffa485264b5422a0c6654da84673ecc06168"},
	{source: "GCM specification (McGrew, Viega) test cases, salt || IV split as RFC 4106", alg: EncrAESGCM12, keyBits: 192,
		key: "feffe9928665731c6d6a8f9467308308feffe9928665731ccafebabe",
		iv:  "facedbaddecaf888",
		aad: "",
		plain: "" +
			"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525" +
			"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0d",
		sealed: "" +
			"3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c7d773d00c144c525ac619d18c84a3f47" +
			"b5b4a5eb1086cbdd5976520dffa485264b5422a0c6654da84673ecc061680f000c32"},
	{source: "GCM specification (McGrew, Viega) test cases, salt || IV split as RFC 4106", alg: EncrAESGCM8, keyBits: 256,
		key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308cafebabe",
		iv:  "facedbaddecaf888",
		aad: "",
		plain: "" +
			"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525" +
			"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0d",
		sealed: "" +
			"522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838" +
			"68a0ff03acdf950e2965837fda8972ddd5c596a34ae0e62f1ee20480d7b7"},
	{source: "GCM specification (McGrew, Viega) test cases, salt || IV split as RFC 4106", alg: EncrAESGCM12, keyBits: 256,
		key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308cafebabe",
		iv:  "facedbaddecaf888",
		aad: "",
		plain: "" +
			"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525" +
			"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0d",
		sealed: "" +
			"522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838" +
			"68a0ff03acdf950e2965837fda8972ddd5c596a34ae0e62f1ee20480d7b75b659aad"},
	{source: "GCM specification (McGrew, Viega) test cases, salt || IV split as RFC 4106", alg: EncrAESGCM16, keyBits: 128,
		key: "feffe9928665731c6d6a8f9467308308cafebabe",
		iv:  "facedbaddecaf888",
		aad: "" +
			"feedfacedeadbeeffeedfacedeadbeefabaddad2feedfacedeadbeeffeedfacedeadbeefdad2feedfacedeadbeeffeda" +
			"d2feedfacedeadbeeffedad2feedfacedeadbeeffe",
		plain: "" +
			"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525" +
			"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0d",
		sealed: "" +
			"42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa05" +
			"b6f5ea59556f4393a8f4958c14363ef56cc28a3164ffe92477c3af6b64c78bb9ecb94884a2db"},
	{source: "GCM specification (McGrew, Viega) test cases, salt || IV split as RFC 4106", alg: EncrAESGCM16, keyBits: 192,
		key: "feffe9928665731c6d6a8f9467308308feffe9928665731ccafebabe",
		iv:  "facedbaddecaf888",
		aad: "" +
			"feedfacedeadbeeffeedfacedeadbeefabaddad2feedfacedeadbeeffeedfacedeadbeefdad2feedfacedeadbeeffeda" +
			"d2feedfacedeadbeeffedad2feedfacedeadbeeffe",
		plain: "" +
			"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525" +
			"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0d",
		sealed: "" +
			"3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c7d773d00c144c525ac619d18c84a3f47" +
			"b5b4a5eb1086cbdd5976520dffa485264b5422a0c6658233f32d00e503298f7f7074e6fe6075"},
	{source: "GCM specification (McGrew, Viega) test cases, salt || IV split as RFC 4106", alg: EncrAESGCM16, keyBits: 256,
		key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308cafebabe",
		iv:  "facedbaddecaf888",
		aad: "" +
			"feedfacedeadbeeffeedfacedeadbeefabaddad2feedfacedeadbeeffeedfacedeadbeefdad2feedfacedeadbeeffeda" +
			"d2feedfacedeadbeeffedad2feedfacedeadbeeffe",
		plain: "" +
			"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525" +
			"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0d",
		sealed: "" +
			"522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838" +
			"68a0ff03acdf950e2965837fda8972ddd5c596a34ae0a8b60ffed5e533f437748393f8af8043"},
}

type cipherVector struct {
	source                 string
	alg                    EncryptionAlgorithm
	keyBits                int
	key, iv, plain, cipher string // key includes the AES-CTR nonce
}

var cipherVectors = []cipherVector{
	{source: "RFC 3713 Appendix A (one block, zero IV)", alg: EncrCamelliaCBC, keyBits: 128,
		key:    "0123456789abcdeffedcba9876543210",
		iv:     "00000000000000000000000000000000",
		plain:  "0123456789abcdeffedcba9876543210",
		cipher: "67673138549669730857065648eabe43"},
	{source: "RFC 3713 Appendix A (one block, zero IV)", alg: EncrCamelliaCBC, keyBits: 192,
		key:    "0123456789abcdeffedcba98765432100011223344556677",
		iv:     "00000000000000000000000000000000",
		plain:  "0123456789abcdeffedcba9876543210",
		cipher: "b4993401b3e996f84ee5cee7d79b09b9"},
	{source: "RFC 3713 Appendix A (one block, zero IV)", alg: EncrCamelliaCBC, keyBits: 256,
		key:    "0123456789abcdeffedcba987654321000112233445566778899aabbccddeeff",
		iv:     "00000000000000000000000000000000",
		plain:  "0123456789abcdeffedcba9876543210",
		cipher: "9acc237dff16d76c20ef7c919e3a7509"},
	{source: "RFC 5528 §4, test 1", alg: EncrCamelliaCTR, keyBits: 128,
		key:    "ae6852f8121067cc4bf7a5765577f39e00000030",
		iv:     "0000000000000000",
		plain:  "53696e676c6520626c6f636b206d7367",
		cipher: "d09dc29a8214619a20877c76db1f0b3f"},
	{source: "RFC 5528 §4, test 2", alg: EncrCamelliaCTR, keyBits: 128,
		key:    "7e24067817fae0d743d6ce1f32539163006cb6db",
		iv:     "c0543b59da48d90b",
		plain:  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		cipher: "dbf3c78dc08396d4da7c907765bbcb442b8e8e0f31f0dca72c7417e35360e048"},
	{source: "RFC 5528 §4, test 3", alg: EncrCamelliaCTR, keyBits: 128,
		key:    "7691be035e5020a8ac6e618529f9a0dc00e0017b",
		iv:     "27777f3f4a1786f0",
		plain:  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223",
		cipher: "b19d1fcdcb75eb882f849ce24d85cf739ce64b2b5c9d73f14f2d5d9dce9889cddf508696"},
	{source: "RFC 5528 §4, test 4", alg: EncrCamelliaCTR, keyBits: 192,
		key:    "16af5b145fc9f579c175f93e3bfb0eed863d06ccfdb7851500000048",
		iv:     "36733c147d6d93cb",
		plain:  "53696e676c6520626c6f636b206d7367",
		cipher: "2379399e8a8d2b2b16702fc78b9e9696"},
	{source: "RFC 5528 §4, test 5", alg: EncrCamelliaCTR, keyBits: 192,
		key:    "7c5cb2401b3dc33c19e7340819e0f69c678c3db8e6f6a91a0096b03b",
		iv:     "020c6eadc2cb500d",
		plain:  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		cipher: "7def34f7a5d0e415674b7ffcae67c75dd018b86ff23051e056392a99f35a4ced"},
	{source: "RFC 5528 §4, test 6", alg: EncrCamelliaCTR, keyBits: 192,
		key:    "02bf391ee8ecb159b959617b0965279bf59b60a786d3e0fe0007bdfd",
		iv:     "5cbd60278dcc0912",
		plain:  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223",
		cipher: "5710e556e1487a20b5ac0e73f19e4e7876f37fdc91b1ef4d4dade8e666a64d0ed557ab57"},
	{source: "RFC 5528 §4, test 7", alg: EncrCamelliaCTR, keyBits: 256,
		key:    "776beff2851db06f4c8a0542c8696f6c6a81af1eec96b4d37fc1d689e6c1c10400000060",
		iv:     "db5672c97aa8f0b2",
		plain:  "53696e676c6520626c6f636b206d7367",
		cipher: "3401f9c8247effcebd6994714c1bbb11"},
	{source: "RFC 5528 §4, test 8", alg: EncrCamelliaCTR, keyBits: 256,
		key:    "f6d66d6bd52d59bb0796365879eff886c66dd51a5b6a99744b50590c87a2388400faac24",
		iv:     "c1585ef15a43d875",
		plain:  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		cipher: "d6c30392246f7808a83c2b22a8839e45e51cd48a1cdf406ebc9cc2d3ab834108"},
	{source: "RFC 5528 §4, test 9", alg: EncrCamelliaCTR, keyBits: 256,
		key:    "ff7a617ce69148e4f1726e2f43581de2aa62d9f805532edff1eed687fb54153d001cc5b7",
		iv:     "51a51d70a1c11148",
		plain:  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223",
		cipher: "a4da23fce6a5ffaa6d64ae9a0652a42cd161a34b65f9679f75c01f101f71276f15ef0d8d"},
	{source: "NESSIE Camellia set 8, vector #0", alg: EncrCamelliaCBC, keyBits: 128,
		key:    "000102030405060708090a0b0c0d0e0f",
		iv:     "00000000000000000000000000000000",
		plain:  "410e33f316df4a72aa2bcd4114e2314d",
		cipher: "00112233445566778899aabbccddeeff"},
	{source: "NESSIE Camellia set 8, vector #1", alg: EncrCamelliaCBC, keyBits: 128,
		key:    "2bd6459f82c5b300952c49104881ff48",
		iv:     "00000000000000000000000000000000",
		plain:  "78357866fd8b2caed4d1bba3cfd5340a",
		cipher: "ea024714ad5c4d84ea024714ad5c4d84"},
	{source: "NESSIE Camellia set 8, vector #0", alg: EncrCamelliaCBC, keyBits: 192,
		key:    "000102030405060708090a0b0c0d0e0f1011121314151617",
		iv:     "00000000000000000000000000000000",
		plain:  "941ac6453c3f48a169c2f4fe2bbe5532",
		cipher: "00112233445566778899aabbccddeeff"},
	{source: "NESSIE Camellia set 8, vector #1", alg: EncrCamelliaCBC, keyBits: 192,
		key:    "2bd6459f82c5b300952c49104881ff482bd6459f82c5b300",
		iv:     "00000000000000000000000000000000",
		plain:  "292c5bbfd772ad279509120f3f0acd48",
		cipher: "ea024714ad5c4d84ea024714ad5c4d84"},
	{source: "NESSIE Camellia set 8, vector #0", alg: EncrCamelliaCBC, keyBits: 256,
		key:    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		iv:     "00000000000000000000000000000000",
		plain:  "06369b3608ae43ca79c88bcf497f6771",
		cipher: "00112233445566778899aabbccddeeff"},
	{source: "NESSIE Camellia set 8, vector #1", alg: EncrCamelliaCBC, keyBits: 256,
		key:    "2bd6459f82c5b300952c49104881ff482bd6459f82c5b300952c49104881ff48",
		iv:     "00000000000000000000000000000000",
		plain:  "e684421716fc0b01aeb5c6765120f95f",
		cipher: "ea024714ad5c4d84ea024714ad5c4d84"},
	{source: "OpenSSL 3.0 camellia-128-cbc (chaining over three blocks)", alg: EncrCamelliaCBC, keyBits: 128,
		key:    "000102030405060708090a0b0c0d0e0f",
		iv:     "101112131415161718191a1b1c1d1e1f",
		plain:  "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f",
		cipher: "413ebbbcb5b5498717c7f2eeb0836f28e2a01018013c485f3e598722c85f8bcc6dd2b8fe42cc2e5d7eea07498984fe37"},
	{source: "OpenSSL 3.0 camellia-256-cbc (chaining over three blocks)", alg: EncrCamelliaCBC, keyBits: 256,
		key:    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		iv:     "101112131415161718191a1b1c1d1e1f",
		plain:  "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f",
		cipher: "a2d53870c60d1503ec41d7a0d27bd2030c2380c03f07b5e8b8df8b334287a119c903e240e3e0605e545fa018bf401f8b"},
	{source: "RFC 3686 §6", alg: EncrAESCTR, keyBits: 128,
		key:    "ae6852f8121067cc4bf7a5765577f39e00000030",
		iv:     "0000000000000000",
		plain:  "53696e676c6520626c6f636b206d7367",
		cipher: "e4095d4fb7a7b3792d6175a3261311b8"},
	{source: "RFC 3686 §6", alg: EncrAESCTR, keyBits: 128,
		key:    "7e24067817fae0d743d6ce1f32539163006cb6db",
		iv:     "c0543b59da48d90b",
		plain:  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		cipher: "5104a106168a72d9790d41ee8edad388eb2e1efc46da57c8fce630df9141be28"},
	{source: "RFC 3686 §6", alg: EncrAESCTR, keyBits: 128,
		key:    "7691be035e5020a8ac6e618529f9a0dc00e0017b",
		iv:     "27777f3f4a1786f0",
		plain:  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223",
		cipher: "c1cf48a89f2ffdd9cf4652e9efdb72d74540a42bde6d7836d59a5ceaaef3105325b2072f"},
	{source: "RFC 3686 §6", alg: EncrAESCTR, keyBits: 192,
		key:    "16af5b145fc9f579c175f93e3bfb0eed863d06ccfdb7851500000048",
		iv:     "36733c147d6d93cb",
		plain:  "53696e676c6520626c6f636b206d7367",
		cipher: "4b55384fe259c9c84e7935a003cbe928"},
	{source: "RFC 3686 §6", alg: EncrAESCTR, keyBits: 192,
		key:    "7c5cb2401b3dc33c19e7340819e0f69c678c3db8e6f6a91a0096b03b",
		iv:     "020c6eadc2cb500d",
		plain:  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		cipher: "453243fc609b23327edfaafa7131cd9f8490701c5ad4a79cfc1fe0ff42f4fb00"},
	{source: "RFC 3686 §6", alg: EncrAESCTR, keyBits: 192,
		key:    "02bf391ee8ecb159b959617b0965279bf59b60a786d3e0fe0007bdfd",
		iv:     "5cbd60278dcc0912",
		plain:  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223",
		cipher: "96893fc55e5c722f540b7dd1ddf7e758d288bc95c69165884536c811662f2188abee0935"},
	{source: "RFC 3686 §6", alg: EncrAESCTR, keyBits: 256,
		key:    "776beff2851db06f4c8a0542c8696f6c6a81af1eec96b4d37fc1d689e6c1c10400000060",
		iv:     "db5672c97aa8f0b2",
		plain:  "53696e676c6520626c6f636b206d7367",
		cipher: "145ad01dbf824ec7560863dc71e3e0c0"},
	{source: "RFC 3686 §6", alg: EncrAESCTR, keyBits: 256,
		key:    "f6d66d6bd52d59bb0796365879eff886c66dd51a5b6a99744b50590c87a2388400faac24",
		iv:     "c1585ef15a43d875",
		plain:  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		cipher: "f05e231b3894612c49ee000b804eb2a9b8306b508f839d6a5530831d9344af1c"},
	{source: "RFC 3686 §6", alg: EncrAESCTR, keyBits: 256,
		key:    "ff7a617ce69148e4f1726e2f43581de2aa62d9f805532edff1eed687fb54153d001cc5b7",
		iv:     "51a51d70a1c11148",
		plain:  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223",
		cipher: "eb6c52821d0bbbf7ce7594462aca4faab407df866569fd07f48cc0b583d6071f1ec0e6b8"},
	{source: "RFC 3602 §4 / NIST SP 800-38A F.2", alg: EncrAESCBC, keyBits: 128,
		key:    "06a9214036b8a15b512e03d534120006",
		iv:     "3dafba429d9eb430b422da802c9fac41",
		plain:  "53696e676c6520626c6f636b206d7367",
		cipher: "e353779c1079aeb82708942dbe77181a"},
	{source: "RFC 3602 §4 / NIST SP 800-38A F.2", alg: EncrAESCBC, keyBits: 128,
		key:    "c286696d887c9aa0611bbb3e2025a45a",
		iv:     "562e17996d093d28ddb3ba695a2e6f58",
		plain:  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		cipher: "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1"},
	{source: "RFC 3602 §4 / NIST SP 800-38A F.2", alg: EncrAESCBC, keyBits: 128,
		key: "56e47a38c5598974bc46903dba290349",
		iv:  "8ce82eefbea0da3c44699ed7db51b7d9",
		plain: "" +
			"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf" +
			"d0d1d2d3d4d5d6d7d8d9dadbdcdddedf",
		cipher: "" +
			"c30e32ffedc0774e6aff6af0869f71aa0f3af07a9a31a9c684db207eb0ef8e4e35907aa632c3ffdf868bb7b29d3d46ad" +
			"83ce9f9a102ee99d49a53e87f4c3da55"},
	{source: "RFC 3602 §4 / NIST SP 800-38A F.2", alg: EncrAESCBC, keyBits: 128,
		key: "2b7e151628aed2a6abf7158809cf4f3c",
		iv:  "000102030405060708090a0b0c0d0e0f",
		plain: "" +
			"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52ef" +
			"f69f2445df4f9b17ad2b417be66c3710",
		cipher: "" +
			"7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e22229516" +
			"3ff1caa1681fac09120eca307586e1a7"},
	{source: "RFC 3602 §4 / NIST SP 800-38A F.2", alg: EncrAESCBC, keyBits: 192,
		key: "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
		iv:  "000102030405060708090a0b0c0d0e0f",
		plain: "" +
			"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52ef" +
			"f69f2445df4f9b17ad2b417be66c3710",
		cipher: "" +
			"4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a571b242012fb7ae07fa9baac3df102e0" +
			"08b0e27988598881d920a9e64f5615cd"},
	{source: "RFC 3602 §4 / NIST SP 800-38A F.2", alg: EncrAESCBC, keyBits: 256,
		key: "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
		iv:  "000102030405060708090a0b0c0d0e0f",
		plain: "" +
			"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52ef" +
			"f69f2445df4f9b17ad2b417be66c3710",
		cipher: "" +
			"f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461" +
			"b2eb05e2c39be9fcda6c19078c6a9d1b"},
}

type keVector struct {
	source                           string
	method                           KeyExchangeMethod
	privA, pubA, privB, pubB, shared string
}

var keVectors = []keVector{
	{source: "brainpoolP224r1: strongSwan test-vectors plugin (RFC 6932/7027 style)", method: ECP224BP,
		privA: "7C4B7A2C8A4BAD1FBB7D79CC0955DB7C6A4660CA64CC4778159B495E",
		pubA: "" +
			"B104A67A6F6E85E14EC1825E1539E8ECDBBF584922367DD88C6BDCF246D782E7FDB5F60CD8404301AC5949C58EDB26BC" +
			"68BA07695B750A94",
		privB: "63976D4AAE6CD0F6DD18DEFEF55D96569D0507C03E74D6486FFA28FB",
		pubB: "" +
			"2A97089A9296147B71B21A4B574E1278245B536F14D8C2B9D07A874E9B900D7C77A709A797276B8CA1BA61BB95B546FC" +
			"29F862E44D59D25B",
		shared: "312DFD98783F9FB77B9704945A73BEB6DCCBE3B65D0F967DCAB574EB",
	},
	{source: "RFC 7027 Appendix A.1", method: ECP256BP,
		privA: "81DB1EE100150FF2EA338D708271BE38300CB54241D79950F77B063039804F1D",
		pubA: "" +
			"44106E913F92BC02A1705D9953A8414DB95E1AAA49E81D9E85F929A8E3100BE58AB4846F11CACCB73CE49CBDD120F5A9" +
			"00A69FD32C272223F789EF10EB089BDC",
		privB: "55E40BC41E37E3E2AD25C3C6654511FFA8474A91A0032087593852D3E7D76BD3",
		pubB: "" +
			"8D2D688C6CF93E1160AD04CC4429117DC2C41825E1E9FCA0ADDD34E6F1B39F7B990C57520812BE512641E47034832106" +
			"BC7D3E8DD0E4C7F1136D7006547CEC6A",
		shared: "89AFC39D41D3B327814B80940B042590F96556EC91E6AE7939BCE31F3A18BF2B",
	},
	{source: "RFC 7027 Appendix A.2", method: ECP384BP,
		privA: "1E20F5E048A5886F1F157C74E91BDE2B98C8B52D58E5003D57053FC4B0BD65D6F15EB5D1EE1610DF870795143627D042",
		pubA: "" +
			"68B665DD91C195800650CDD363C625F4E742E8134667B767B1B476793588F885AB698C852D4A6E77A252D6380FCAF068" +
			"55BC91A39C9EC01DEE36017B7D673A931236D2F1F5C83942D049E3FA20607493E0D038FF2FD30C2AB67D15C85F7FAA59",
		privB: "032640BC6003C59260F7250C3DB58CE647F98E1260ACCE4ACDA3DD869F74E01F8BA5E0324309DB6A9831497ABAC96670",
		pubB: "" +
			"4D44326F269A597A5B58BBA565DA5556ED7FD9A8A9EB76C25F46DB69D19DC8CE6AD18E404B15738B2086DF37E71D1EB4" +
			"62D692136DE56CBE93BF5FA3188EF58BC8A3A0EC6C1E151A21038A42E9185329B5B275903D192F8D4E1F32FE9CC78C48",
		shared: "0BD9D3A7EA0B3D519D09D8E48D0785FB744A6B355E6304BC51C229FBBCE239BBADF6403715C35D4FB2A5444F575D4F42",
	},
	{source: "RFC 7027 Appendix A.3", method: ECP512BP,
		privA: "" +
			"16302FF0DBBB5A8D733DAB7141C1B45ACBC8715939677F6A56850A38BD87BD59B09E80279609FF333EB9D4C061231FB2" +
			"6F92EEB04982A5F1D1764CAD57665422",
		pubA: "" +
			"0A420517E406AAC0ACDCE90FCD71487718D3B953EFD7FBEC5F7F27E28C6149999397E91E029E06457DB2D3E640668B39" +
			"2C2A7E737A7F0BF04436D11640FD09FD72E6882E8DB28AAD36237CD25D580DB23783961C8DC52DFA2EC138AD472A0FCE" +
			"F3887CF62B623B2A87DE5C588301EA3E5FC269B373B60724F5E82A6AD147FDE7",
		privB: "" +
			"230E18E1BCC88A362FA54E4EA3902009292F7F8033624FD471B5D8ACE49D12CFABBC19963DAB8E2F1EBA00BFFB29E4D7" +
			"2D13F2224562F405CB80503666B25429",
		pubB: "" +
			"9D45F66DE5D67E2E6DB6E93A59CE0BB48106097FF78A081DE781CDB31FCE8CCBAAEA8DD4320C4119F1E9CD437A2EAB37" +
			"31FA9668AB268D871DEDA55A5473199F2FDC313095BCDD5FB3A91636F07A959C8E86B5636A1E930E8396049CB481961D" +
			"365CC11453A06C719835475B12CB52FC3C383BCE35E27EF194512B71876285FA",
		shared: "" +
			"A7927098655F1F9976FA50A9D566865DC530331846381C87256BAF3226244B76D36403C024D7BBF0AA0803EAFF405D3D" +
			"24F11A9B5C0BEF679FE1454B21C4CD1F",
	},
	{source: "RFC 7748 §6.1", method: Curve25519,
		privA:  "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
		pubA:   "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
		privB:  "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
		pubB:   "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
		shared: "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"},
	{source: "RFC 7748 §6.1", method: Curve25519,
		privA:  "751fb4308655b476b6789b7325f9ea8cddd16a58533ff6d9e60009464a5f9d94",
		pubA:   "48d5ddd4061257ba166fa3f9bbdb74f1a4e81c089384fa77f790709f0dfbc766",
		privB:  "0a54645253290d60ddadd0e030bacd9e5501efdc220755a1e978f1b839a05688",
		pubB:   "0be7c1f5aad87d7e448662673298a443478b859745179eaf564c79c0ef6eee25",
		shared: "c74950607a12327f3204d94b6825bfb068b7f8319a9e3708ed3d43ce8130c950"},
	{source: "RFC 7748 §6.2", method: Curve448,
		privA: "" +
			"9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28dd9c9baf574a9419744897391006382a6f127ab1d" +
			"9ac2d8c0a598726b",
		pubA: "" +
			"9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c22c5d9bbc836647241d953d40c5b12da88120d53" +
			"177f80e532c41fa0",
		privB: "" +
			"1c306a7ac2a0e2e0990b294470cba339e6453772b075811d8fad0d1d6927c120bb5ee8972b0d3e21374c9c921b09d1b0" +
			"366f10b65173992d",
		pubB: "" +
			"3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b43027d8b972fc3e34fb4232a13ca706dcb57aec3dae" +
			"07bdc1c67bf33609",
		shared: "" +
			"07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282bb60c0b56fd2464c335543936521c24403085d59a" +
			"449a5037514a879d"},
	{source: "RFC 5903 §8.1", method: ECP256,
		privA: "C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433",
		pubA: "DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180" +
			"5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3",
		privB: "C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53",
		pubB: "D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63" +
			"56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB",
		shared: "D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE"},
	{source: "RFC 5903 §8.2", method: ECP384,
		privA: "099F3C7034D4A2C699884D73A375A67F7624EF7C6B3C0F160647B67414DCE655E35B538041E649EE3FAEF896783AB194",
		pubA: "667842D7D180AC2CDE6F74F37551F55755C7645C20EF73E31634FE72B4C55EE6DE3AC808ACB4BDB4C88732AEE95F41AA" +
			"9482ED1FC0EEB9CAFC4984625CCFC23F65032149E0E144ADA024181535A0F38EEB9FCFF3C2C947DAE69B4C634573A81C",
		privB: "41CB0779B4BDB85D47846725FBEC3C9430FAB46CC8DC5060855CC9BDA0AA2942E0308312916B8ED2960E4BD55A7448FC",
		pubB: "E558DBEF53EECDE3D3FCCFC1AEA08A89A987475D12FD950D83CFA41732BC509D0D1AC43A0336DEF96FDA41D0774A3571" +
			"DCFBEC7AACF3196472169E838430367F66EEBE3C6E70C416DD5F0C68759DD1FFF83FA40142209DFF5EAAD96DB9E6386C",
		shared: "11187331C279962D93D604243FD592CB9D0A926F422E47187521287E7156C5C4D603135569B9E9D09CF5D4A270F59746"},
}

// ccmVectors exercise the CCM mode itself with the nonce and tag lengths of
// the specifications (IPsec uses only 11-byte nonces, see aeadVectors).
var ccmVectors = []struct {
	source                       string
	key, nonce, aad, plain, want string
	tagLen                       int
	camellia                     bool // Camellia rather than AES
}{
	{source: "RFC 3610 §8 packet vector #1", tagLen: 8,
		key: "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", nonce: "00000003020100a0a1a2a3a4a5",
		aad: "0001020304050607", plain: "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
		want: "588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0"},
	{source: "RFC 3610 §8 packet vector #2", tagLen: 8,
		key: "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", nonce: "00000004030201a0a1a2a3a4a5",
		aad: "0001020304050607", plain: "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		want: "72c91a36e135f8cf291ca894085c87e3cc15c439c9e43a3ba091d56e10400916"},
	{source: "RFC 5528 §5 packet vector #1 (Camellia)", tagLen: 8, camellia: true,
		key: "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", nonce: "00000003020100a0a1a2a3a4a5",
		aad: "0001020304050607", plain: "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
		want: "ba737185e719310492f38a5f1251da55fafbc949848a0dfcaece746b3db9ad"},
	{source: "NIST SP 800-38C C.1", tagLen: 4,
		key: "404142434445464748494a4b4c4d4e4f", nonce: "10111213141516",
		aad: "0001020304050607", plain: "20212223", want: "7162015b4dac255d"},
	{source: "NIST SP 800-38C C.2", tagLen: 6,
		key: "404142434445464748494a4b4c4d4e4f", nonce: "1011121314151617",
		aad: "000102030405060708090a0b0c0d0e0f", plain: "202122232425262728292a2b2c2d2e2f",
		want: "d2a1f0e051ea5f62081a7792073d593d1fc64fbfaccd"},
	{source: "NIST SP 800-38C C.3", tagLen: 8,
		key: "404142434445464748494a4b4c4d4e4f", nonce: "101112131415161718191a1b",
		aad:   "000102030405060708090a0b0c0d0e0f10111213",
		plain: "202122232425262728292a2b2c2d2e2f3031323334353637",
		want:  "e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5484392fbc1b09951"},
}
