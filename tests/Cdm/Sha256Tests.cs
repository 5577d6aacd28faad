using System.Security.Cryptography;
using CoreDump.Cdm.Intake;

namespace CoreDump.Tests.Cdm;

public class Sha256Tests
{
    [Test]
    public void KnownVectors()
    {
        Assert.That(Convert.ToHexStringLower(Sha256.Hash([])), Is.EqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        Assert.That(Convert.ToHexStringLower(Sha256.Hash("abc"u8)), Is.EqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        Assert.That(Convert.ToHexStringLower(Sha256.Hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"u8)),
            Is.EqualTo("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    }

    [Test]
    public void MatchesTheBclAtEveryLengthAroundTheBlockBoundaries()
    {
        var rng = new Random(7);
        for (int length = 0; length < 300; length++)
        {
            var data = new byte[length];
            rng.NextBytes(data);
            Assert.That(Sha256.Hash(data), Is.EqualTo(SHA256.HashData(data)), $"length {length}");
        }
    }
}
