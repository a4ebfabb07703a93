package io.integrityauditor.run;

import io.integrityauditor.audit.scan.ScanPartial;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The chunks of a run that no other node helps with (no store, e.g. {@code check}). */
final class LocalChunkQueue implements ChunkQueue {
  private final List<ChunkSlice> slices;
  private final boolean[] taken;
  private final List<Statement> statements = new ArrayList<>();
  private final String nodeId;
  private int done;
  private ScanPartial total = ScanPartial.EMPTY;
  private RunError failure;

  LocalChunkQueue(List<ChunkSlice> slices, String nodeId) {
    this.slices = List.copyOf(slices);
    this.taken = new boolean[slices.size()];
    this.nodeId = nodeId;
  }

  @Override
  public synchronized Optional<Claim> claim(long rows) {
    int first = 0;
    while (first < taken.length && taken[first]) {
      first++;
    }
    if (first == taken.length || failure != null) {
      return Optional.empty();
    }
    int end = first;
    long claimedRows = 0;
    while (end < taken.length
        && !taken[end]
        && (end == first || claimedRows + slices.get(end).estimatedRows() <= rows)) {
      claimedRows += slices.get(end).estimatedRows();
      taken[end++] = true;
    }
    List<ChunkSlice> claimed = slices.subList(first, end);
    return Optional.of(
        new Claim() {
          @Override
          public List<ChunkSlice> slices() {
            return claimed;
          }

          @Override
          public void complete(ScanPartial partial, Instant startedAt, Duration duration) {
            synchronized (LocalChunkQueue.this) {
              done += claimed.size();
              statements.add(
                  new Statement(
                      claimed.get(0).ordinal(),
                      claimed.size(),
                      claimed.stream().mapToLong(ChunkSlice::estimatedRows).sum(),
                      nodeId,
                      startedAt.plus(duration),
                      duration));
              total = total.merge(partial);
            }
          }

          @Override
          public void fail(RunError error) {
            synchronized (LocalChunkQueue.this) {
              if (failure == null) {
                failure = error;
              }
            }
          }

          @Override
          public void release() {
            synchronized (LocalChunkQueue.this) {
              for (ChunkSlice slice : claimed) {
                taken[slice.ordinal()] = false;
              }
            }
          }
        });
  }

  @Override
  public synchronized Progress progress() {
    long pendingRows = 0;
    for (ChunkSlice slice : slices) {
      pendingRows += slice.estimatedRows();
    }
    for (Statement statement : statements) {
      pendingRows -= statement.estimatedRows();
    }
    return new Progress(slices.size() - done, done, pendingRows, Optional.ofNullable(failure));
  }

  @Override
  public synchronized ScanPartial total() {
    return total;
  }

  @Override
  public synchronized List<Statement> statements() {
    return List.copyOf(statements);
  }
}
