import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

public class Crash_90c079ea119a774b1836dfb74c3b4fadca10d298 {
    static final String base64Bytes = String.join("", "AgAAAAIACgAAAAACCABFAAA8AABAAEAGJkUKCQACCgkAZEoAAAAAAAAAAAAAAKABAF7tXu1e7QQFtAQCCArDR5HWAAAAAAF/Awc=");

    public static void main(String[] args) throws Throwable {
        Crash_90c079ea119a774b1836dfb74c3b4fadca10d298.class.getClassLoader().setDefaultAssertionStatus(true);
        try {
            Method fuzzerInitialize = dev.handoff.agent.wire.FrameFuzzTarget.class.getMethod("fuzzerInitialize");
            fuzzerInitialize.invoke(null);
        } catch (NoSuchMethodException ignored) {
            try {
                Method fuzzerInitialize = dev.handoff.agent.wire.FrameFuzzTarget.class.getMethod("fuzzerInitialize", String[].class);
                fuzzerInitialize.invoke(null, (Object) args);
            } catch (NoSuchMethodException ignored1) {
            } catch (IllegalAccessException | InvocationTargetException e) {
                e.printStackTrace();
                System.exit(1);
            }
        } catch (IllegalAccessException | InvocationTargetException e) {
            e.printStackTrace();
            System.exit(1);
        }
        byte[] input = java.util.Base64.getDecoder().decode(base64Bytes);
        dev.handoff.agent.wire.FrameFuzzTarget.fuzzerTestOneInput(input);
    }
}