package io.integrityauditor.audit.crossdb;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The candidate orphan keys of a merge (values as text, none NULL) with their row counts, kept
 * until both streams have ended: a stream read by COPY holds its connection until then, so neither
 * the re-check (parent) nor the violating rows (child) can run during the merge. The first {@code
 * inMemory} keys stay in the heap, the rest go to a temporary file of the worker, deleted on close:
 * the heap stays bounded however many keys are orphans.
 */
final class CandidateKeys implements AutoCloseable {
  /** A batch of keys handed back: keys and their row counts, index by index. */
  @FunctionalInterface
  interface BatchHandler {
    void handle(List<String[]> keys, List<Long> rows) throws SQLException;
  }

  private final int width;
  private final int inMemory;
  private final List<String[]> keys = new ArrayList<>();
  private final List<Long> rows = new ArrayList<>();
  private Path file;
  private FileChannel channel;
  private DataOutputStream spilled;
  private long spilledCount;

  /**
   * @param width the number of columns of each key
   * @param inMemory keys held in the heap before the rest go to a file
   */
  CandidateKeys(int width, int inMemory) {
    this.width = width;
    this.inMemory = inMemory;
  }

  void add(String[] key, long count) {
    if (keys.size() < inMemory) {
      keys.add(key);
      rows.add(count);
      return;
    }
    try {
      if (spilled == null) {
        file = Files.createTempFile("integrity-auditor-candidates-", ".bin");
        channel =
            FileChannel.open(
                file,
                StandardOpenOption.READ,
                StandardOpenOption.WRITE,
                StandardOpenOption.DELETE_ON_CLOSE);
        spilled = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel)));
      }
      for (String value : key) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        spilled.writeInt(bytes.length);
        spilled.write(bytes);
      }
      spilled.writeLong(count);
      spilledCount++;
    } catch (IOException e) {
      throw new UncheckedIOException("writing candidate keys to " + file + " failed", e);
    }
  }

  /** How many keys were added. */
  long size() {
    return keys.size() + spilledCount;
  }

  /**
   * Hands every key to {@code handler} in the order added, in batches of at most {@code batch}, and
   * forgets them.
   */
  void drain(int batch, BatchHandler handler) throws SQLException {
    for (int from = 0; from < keys.size(); from += batch) {
      int to = Math.min(keys.size(), from + batch);
      handler.handle(keys.subList(from, to), rows.subList(from, to));
    }
    keys.clear();
    rows.clear();
    if (spilled == null) {
      return;
    }
    try {
      spilled.flush();
      channel.position(0);
      // not closed here: closing the stream would close the channel, and with it the file
      DataInputStream in =
          new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel)));
      List<String[]> readKeys = new ArrayList<>(batch);
      List<Long> readRows = new ArrayList<>(batch);
      for (long i = 0; i < spilledCount; i++) {
        String[] key = new String[width];
        for (int k = 0; k < width; k++) {
          key[k] = new String(in.readNBytes(in.readInt()), StandardCharsets.UTF_8);
        }
        readKeys.add(key);
        readRows.add(in.readLong());
        if (readKeys.size() == batch || i == spilledCount - 1) {
          handler.handle(readKeys, readRows);
          readKeys = new ArrayList<>(batch);
          readRows = new ArrayList<>(batch);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("reading candidate keys from " + file + " failed", e);
    }
    close();
  }

  /** Deletes the file, if keys went to one. */
  @Override
  public void close() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        // DELETE_ON_CLOSE: the file goes with the channel, or with the process at the latest
      }
      channel = null;
      spilled = null;
      spilledCount = 0;
    }
  }
}
