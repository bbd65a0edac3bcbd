package io.tinyp2p.util;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Files the node keeps across restarts (its key, its peer store), written so that a crash or a
 * failed write never leaves half a file: the new content goes to a temporary file in the same
 * directory, is forced to disk, and replaces the target in one atomic rename; the directory is
 * forced too where the platform allows it. Files and the directories created for them are their
 * owner's only (0600 and 0700) where the file system has POSIX permissions. Blocking: never call
 * these from an event loop.
 */
public final class AtomicFiles {
  private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");

  private AtomicFiles() {}

  /** Writes the content of a file to a stream; may fail part way (the target then stays as it was). */
  @FunctionalInterface
  public interface Content {
    void writeTo(OutputStream out) throws IOException;
  }

  /** Replaces (or creates) {@code target} with {@code bytes}; see the class comment. */
  public static void write(Path target, byte[] bytes) throws IOException {
    write(target, out -> out.write(bytes));
  }

  /**
   * Replaces (or creates) {@code target} with what {@code content} writes, creating its parent
   * directories. When {@code content} or the disk fails, the target keeps its old content and the
   * temporary file is removed. Temporary files a crash left behind for this target are removed
   * after a successful write.
   */
  public static void write(Path target, Content content) throws IOException {
    Path file = target.toAbsolutePath();
    Path dir = file.getParent();
    createDirectories(dir);
    boolean posix = isPosix(dir);
    FileAttribute<?>[] attrs = posix
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_FILE)}
        : new FileAttribute<?>[0];
    Path temp = Files.createTempFile(dir, tempPrefix(file), ".tmp", attrs);
    try {
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE);
           OutputStream out = Channels.newOutputStream(channel)) {
        content.writeTo(out);
        out.flush();
        channel.force(true);
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    forceDirectory(dir);
    removeLeftovers(file);
  }

  /** The temporary files a write of {@code target} uses (and a crash may leave): {@code .<name>.<random>.tmp}. */
  static String tempPrefix(Path target) {
    return "." + target.getFileName() + ".";
  }

  /** Temporary files of earlier writes of {@code target} that did not finish (a crash between create and rename). */
  public static List<Path> leftovers(Path target) throws IOException {
    Path file = target.toAbsolutePath();
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(file.getParent())) {
      return out;
    }
    String prefix = tempPrefix(file);
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(file.getParent(), prefix + "*.tmp")) {
      dir.forEach(out::add);
    }
    return out;
  }

  private static void removeLeftovers(Path file) {
    try {
      for (Path p : leftovers(file)) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // only tidying: the write itself succeeded
    }
  }

  /**
   * Whether a file is readable or writable by anyone but its owner (group or other permission
   * bits); false where the file system has no POSIX permissions.
   */
  public static boolean openToOthers(Path file) throws IOException {
    if (!isPosix(file)) {
      return false;
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    return perms.stream().anyMatch(p -> p != PosixFilePermission.OWNER_READ && p != PosixFilePermission.OWNER_WRITE
        && p != PosixFilePermission.OWNER_EXECUTE);
  }

  /** The permissions of a file as {@code ls -l} shows them ({@code rw-r--r--}), or "unknown". */
  public static String permissions(Path file) throws IOException {
    return isPosix(file) ? PosixFilePermissions.toString(Files.getPosixFilePermissions(file)) : "unknown";
  }

  private static void createDirectories(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      if (isPosix(dir)) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_DIR));
      } else {
        Files.createDirectories(dir);
      }
    }
  }

  private static boolean isPosix(Path path) {
    return path.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  /** Makes the rename durable: forces the directory entry where the platform can open a directory. */
  private static void forceDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // not every platform opens directories (Windows); the rename is still atomic there
    }
  }
}
