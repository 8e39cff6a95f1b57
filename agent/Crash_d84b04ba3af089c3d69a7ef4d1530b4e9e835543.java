import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

public class Crash_d84b04ba3af089c3d69a7ef4d1530b4e9e835543 {
    static final String base64Bytes = String.join("", "AgAAAAAKAgAAAAACCABFAAA8AABAAEAGJkUKCQACCgkAZP9AAAAAAAAAAAAAAKAC//8BAAAAAAGFBgQCCArDR5HWAAAAAAH0Awc=");

    public static void main(String[] args) throws Throwable {
        Crash_d84b04ba3af089c3d69a7ef4d1530b4e9e835543.class.getClassLoader().setDefaultAssertionStatus(true);
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