package io.balistreams.streams.serde;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

/**
 * A pass over an Avro single-object message, before it is decoded, that checks every length it claims (strings,
 * bytes, arrays, maps) against the bytes actually there, without allocating anything for them. Avro's decoder
 * allocates a string or a byte buffer of the claimed length before it reads it, so a message of a dozen bytes that
 * claims a string of 2 GB ends in an {@link OutOfMemoryError}; in a stream thread that error stops the client, and a
 * restarted one meets the same record again. Skipping the datum with its writer schema
 * ({@link GenericDatumReader#skip}) moves over each claimed length instead, and a claim longer than the message ends
 * the pass at the message's end.
 */
public final class LengthCheck {
    private static final int HEADER = 10;

    private LengthCheck() {
    }

    /**
     * @return null if the body fits its writer schema's claims and ends where the message ends (or the header is not
     * one this check can read: the decoder then reports it); otherwise why not
     */
    public static String problem(final byte[] message) {
        if (message.length < HEADER || message[0] != (byte) 0xC3 || message[1] != (byte) 0x01) {
            return null;
        }
        final long fingerprint = ByteBuffer.wrap(message, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        final Schema writer = SchemaHistory.find(fingerprint);
        if (writer == null) {
            return null;
        }
        final BinaryDecoder in = DecoderFactory.get().binaryDecoder(message, HEADER, message.length - HEADER, null);
        try {
            GenericDatumReader.skip(writer, in);
            return in.isEnd() ? null : "bytes left over after the " + writer.getName() + " record";
        } catch (final IOException | RuntimeException e) {
            return "the " + writer.getName() + " body does not hold what it claims (" + e + ")";
        }
    }
}
